// The CLI reference in docs/reference.md, rendered from the commands' own definitions (the same ones
// `--help` prints), so the two cannot disagree: `npm run docs:reference` rewrites the part between the
// markers, and test/unit/reference.test.ts fails when it is out of date. Pure: no files, no clock.
import type { Argument, Command, Option } from 'commander';

export const GENERATED_START = '<!-- generated:start (npm run docs:reference writes this part from cli/*.ts) -->';
export const GENERATED_END = '<!-- generated:end -->';

/** Text in a table cell or a paragraph: `|` would end the cell, `<` could open an HTML tag, `*` emphasis. */
function prose(text: string): string {
  return text
    .replace(/\s*\n\s*/g, ' ')
    .replace(/[\\|<*]/g, (c) => `\\${c}`)
    .trim();
}

/** A code span; `|` is still escaped (GitHub splits table rows on it before reading code spans). */
function code(text: string): string {
  const fence = text.includes('`') ? '``' : '`';
  const pad = text.startsWith('`') || text.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${text.replace(/\|/g, '\\|')}${pad}${fence}`;
}

/** Code points, as Biome measures a cell when it pads a table. */
const width = (cell: string): number => [...cell].length;

/** A Markdown table padded as Biome formats it (docs/ are formatted too; `npm run lint` checks it). */
function table(head: string[], rows: string[][]): string[] {
  const widths = head.map((h, i) => Math.max(3, width(h), ...rows.map((r) => width(r[i] ?? ''))));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c + ' '.repeat(widths[i]! - width(c))).join(' | ')} |`;
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
}

function value(v: unknown, description: string | undefined): string {
  if (description) return code(description);
  return code(typeof v === 'string' && v !== '' ? v : JSON.stringify(v));
}

/** What `--help` shows as an option's default (commander's rule): none for plain flags and `--no-` flags. */
function optionDefault(o: Option): string {
  if (o.mandatory) return 'required';
  if (o.defaultValue === undefined) return '';
  const shown = o.required || o.optional || (o.isBoolean() && typeof o.defaultValue === 'boolean');
  return shown ? value(o.defaultValue, o.defaultValueDescription) : '';
}

function optionDescription(o: Option): string {
  const extra = [
    ...(o.presetArg !== undefined && o.optional ? [`without a value: ${value(o.presetArg, undefined)}`] : []),
    ...(o.envVar !== undefined ? [`env: ${code(o.envVar)}`] : []),
  ];
  return [prose(o.description), ...(extra.length ? [`(${extra.join(', ')})`] : [])].filter(Boolean).join(' ');
}

function choices(list: readonly string[] | undefined): string {
  return (list ?? []).map(code).join(', ');
}

function argumentTerm(a: Argument): string {
  const name = `${a.name()}${a.variadic ? '...' : ''}`;
  return a.required ? `<${name}>` : `[${name}]`;
}

/** The command's subcommands as `--help` lists them, without the implicit `help` command. */
function subcommands(cmd: Command): Command[] {
  return cmd
    .createHelp()
    .visibleCommands(cmd)
    .filter((c) => c.name() !== 'help');
}

function fullName(cmd: Command): string {
  return cmd.parent ? `${fullName(cmd.parent)} ${cmd.name()}` : cmd.name();
}

/** GitHub's anchor for a heading (lower case, punctuation dropped, spaces to dashes). */
function anchor(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^\w\- ]/g, '')
    .replace(/ /g, '-');
}

function link(cmd: Command): string {
  return `[${code(fullName(cmd))}](#${anchor(fullName(cmd))})`;
}

function section(cmd: Command): string[] {
  const out = [`### ${fullName(cmd)}`, '', `Usage: ${code(cmd.createHelp().commandUsage(cmd))}`, ''];
  if (cmd.description()) out.push(prose(cmd.description()), '');
  const args = cmd.registeredArguments;
  if (args.length) {
    const withChoices = args.some((a) => a.argChoices?.length);
    const head = ['argument', 'description', 'default', ...(withChoices ? ['choices'] : [])];
    const rows = args.map((a) => [
      code(argumentTerm(a)),
      prose(a.description),
      a.defaultValue === undefined ? (a.required ? 'required' : '') : value(a.defaultValue, a.defaultValueDescription),
      ...(withChoices ? [choices(a.argChoices)] : []),
    ]);
    out.push(...table(head, rows), '');
  }
  const options = cmd.options.filter((o) => !o.hidden);
  if (options.length) {
    const withChoices = options.some((o) => o.argChoices?.length);
    const head = ['option', 'description', 'default', ...(withChoices ? ['choices'] : [])];
    const rows = options.map((o) => [
      code(o.flags),
      optionDescription(o),
      optionDefault(o),
      ...(withChoices ? [choices(o.argChoices)] : []),
    ]);
    out.push(...table(head, rows), '');
  }
  const subs = subcommands(cmd);
  if (subs.length) out.push(`Subcommands: ${subs.map(link).join(', ')}.`, '');
  return [...out, ...subs.flatMap(section)];
}

function everyCommand(cmd: Command): Command[] {
  return subcommands(cmd).flatMap((c) => [c, ...everyCommand(c)]);
}

/**
 * The CLI reference for `program` (every command loaded, as `buildProgram()` gives it): an index of the
 * commands, then per command and subcommand its usage, description, arguments and options.
 */
export function renderReference(program: Command): string {
  const index = table(
    ['command', 'what it does'],
    everyCommand(program).map((c) => [link(c), prose(c.description())]),
  );
  const lines = [...index, '', ...subcommands(program).flatMap(section)];
  while (lines.at(-1) === '') lines.pop();
  return `${lines.join('\n')}\n`;
}

/** The generated part of a page: what lies between the markers, or undefined when they are missing. */
export function generatedPart(page: string): string | undefined {
  const start = page.indexOf(`${GENERATED_START}\n`);
  const end = page.indexOf(`\n${GENERATED_END}\n`);
  if (start < 0 || end < start) return undefined;
  return page.slice(start + GENERATED_START.length + 1, end).replace(/^\n/, '');
}

/** The page with its generated part replaced by `generated` (the text around the markers is kept). */
export function withGenerated(page: string, generated: string): string {
  const start = page.indexOf(`${GENERATED_START}\n`);
  const end = page.indexOf(`\n${GENERATED_END}\n`);
  if (start < 0 || end < start) throw new Error(`the page has no ${GENERATED_START} ... ${GENERATED_END} markers`);
  // Blank lines around the generated part: a table right above a comment would swallow it.
  return `${page.slice(0, start)}${GENERATED_START}\n\n${generated}${page.slice(end)}`;
}
