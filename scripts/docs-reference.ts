// `npm run docs:reference`: rewrites the generated CLI reference in docs/reference.md from the commands'
// definitions (cli/reference.ts). Deterministic: the same commands give the same file.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// Defaults read from the environment (the Redis URL) must not leak this machine's settings into the page.
delete process.env['ACCORD_REDIS'];
const { buildProgram } = await import('../cli/index.js');
const { renderReference, withGenerated } = await import('../cli/reference.js');

const file = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'docs', 'reference.md');
const before = fs.readFileSync(file, 'utf8');
const after = withGenerated(before, renderReference(await buildProgram()));
if (after !== before) fs.writeFileSync(file, after);
process.stdout.write(`${path.relative(process.cwd(), file)}: ${after === before ? 'up to date' : 'rewritten'}\n`);
// Loading every command may leave handles open (gRPC, Redis clients are only created on use, but be sure).
process.exit(0);
