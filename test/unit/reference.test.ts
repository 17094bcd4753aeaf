// docs/reference.md's CLI reference is generated from the commands' definitions (cli/reference.ts), so
// a flag added, renamed or re-described without regenerating the page fails here.
import fs from 'node:fs';
import path from 'node:path';
import { Command, Option } from 'commander';
import { describe, expect, it } from 'vitest';
import { GENERATED_END, GENERATED_START, generatedPart, renderReference, withGenerated } from '../../cli/reference.js';

const PAGE = path.resolve(__dirname, '../../docs/reference.md');

describe('the CLI reference (docs/reference.md)', () => {
  it('is what the commands say: run `npm run docs:reference` after changing a command', async () => {
    // A default read from the environment (--redis from ACCORD_REDIS) must not depend on this machine.
    delete process.env['ACCORD_REDIS'];
    const { buildProgram } = await import('../../cli/index.js');
    const expected = renderReference(await buildProgram());
    const part = generatedPart(fs.readFileSync(PAGE, 'utf8'));
    expect(part, `docs/reference.md has no ${GENERATED_START} ... ${GENERATED_END} part`).toBeDefined();
    expect(part, 'docs/reference.md is out of date with the commands: run `npm run docs:reference`').toBe(expected);
  });

  it('renders usage, arguments, defaults, choices and subcommands, escaping | in cells', () => {
    const program = new Command('tool');
    const run = program.command('run').description('run it | fast');
    run.argument('<file>', 'the input');
    run.addOption(new Option('--mode <m>', 'how: a|b').choices(['a', 'b|c']).default('a'));
    run.requiredOption('--site <name>', "this site's name");
    run.option('--flag', 'a plain flag');
    run.command('sub').description('a subcommand');
    const md = renderReference(program);
    // Every row of a table is padded to the same length (as Biome formats Markdown); compare unpadded.
    for (const t of md.split('\n\n').filter((b) => b.startsWith('|')))
      expect(new Set(t.split('\n').map((row) => row.length)).size).toBe(1);
    const flat = md.replace(/ {2,}/g, ' ');
    expect(flat).toContain('| [`tool run`](#tool-run) | run it \\| fast |');
    expect(flat).toContain('| [`tool run sub`](#tool-run-sub) | a subcommand |');
    expect(flat).toContain('Usage: `tool run [options] [command] <file>`');
    expect(flat).toContain('| `<file>` | the input | required |');
    expect(flat).toContain('| option | description | default | choices |');
    expect(flat).toContain('| `--mode <m>` | how: a\\|b | `a` | `a`, `b\\|c` |');
    expect(flat).toContain("| `--site <name>` | this site's name | required | |");
    expect(flat).toContain('| `--flag` | a plain flag | | |');
    expect(flat).toContain('Subcommands: [`tool run sub`](#tool-run-sub).');
    expect(flat).toContain('### tool run sub');
    expect(flat).not.toContain('--help');
  });

  it('replaces only what lies between the markers', () => {
    const page = `# Title\n\nprose\n\n${GENERATED_START}\n\nold\n\n${GENERATED_END}\n\nmore prose\n`;
    const next = withGenerated(page, 'new\n');
    expect(next).toBe(`# Title\n\nprose\n\n${GENERATED_START}\n\nnew\n\n${GENERATED_END}\n\nmore prose\n`);
    expect(generatedPart(next)).toBe('new\n');
    expect(withGenerated(next, 'new\n')).toBe(next);
  });
});
