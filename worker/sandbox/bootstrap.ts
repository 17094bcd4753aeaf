// The trusted first code of a sandboxed child: it runs before the app, reads the input, imports the app,
// calls its export and writes one result frame. It is plain JavaScript in a string, passed to node with
// --eval, so it needs no file (nothing to ship in dist, nothing for the app to overwrite) and no read
// permission of its own. It is a TS template literal: no backticks inside, and its only placeholders
// are the codes below.
//
// Protocol. argv: [execPath, entry (absolute path of the app's module), exportName, host?]: with a host
// (a trusted module of the site), host[exportName](input, appModule) is called instead of app[exportName]. stdin: the input,
// one JSON text, then EOF. fd 3 (a pipe of its own, so the app's console output cannot corrupt it): one
// line, {"ok":true,"output":...} or {"ok":false,"error":{name,message,code?,permission?,resource?,stack?}},
// then the process exits (0 after a result, 1 after an error). stdout and stderr are the app's logs.
// Nothing the child sends is trusted: the parent bounds, parses and checks it (outcome.ts).

/** Codes the bootstrap itself gives an error frame; the parent maps them (outcome.ts). */
export const BOOTSTRAP_CODES = {
  noExport: 'ACCORD_SANDBOX_NO_EXPORT',
  badOutput: 'ACCORD_SANDBOX_BAD_OUTPUT',
  badInput: 'ACCORD_SANDBOX_BAD_INPUT',
} as const;

export const BOOTSTRAP_SOURCE = `
import fs from 'node:fs';
import { pathToFileURL } from 'node:url';
const [entry, exportName, host] = process.argv.slice(1);
const text = (v, n) => { try { return String(v).slice(0, n); } catch { return '?'; } };
const send = (frame) => {
  let json;
  try { json = JSON.stringify(frame); } catch (e) {
    json = JSON.stringify({ ok: false, error: { name: 'TypeError', message: 'the result is not JSON: ' + text(e && e.message, 500), code: '${BOOTSTRAP_CODES.badOutput}' } });
  }
  const buf = Buffer.from(json + '\\n');
  let off = 0;
  while (off < buf.length) {
    try { off += fs.writeSync(3, buf, off); } catch (e) {
      if (e && e.code === 'EAGAIN') Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5); else throw e;
    }
  }
};
const describe = (e) => {
  if (e === null || (typeof e !== 'object' && typeof e !== 'function')) return { name: 'Error', message: text(e, 4000) };
  const d = { name: text(e.name, 100), message: text(e.message, 4000) };
  for (const k of ['code', 'permission', 'resource']) { try { if (typeof e[k] === 'string') d[k] = e[k].slice(0, 1000); } catch {} }
  try { if (typeof e.stack === 'string') d.stack = e.stack.slice(0, 8000); } catch {}
  return d;
};
let done = false;
const fail = (e) => { if (done) return; done = true; send({ ok: false, error: describe(e) }); process.exit(1); };
process.on('uncaughtException', fail);
process.on('unhandledRejection', fail);
try {
  const chunks = [];
  for await (const c of process.stdin) chunks.push(c);
  let input;
  try { input = JSON.parse(Buffer.concat(chunks).toString('utf8')); } catch (e) {
    throw Object.assign(new Error('the input is not JSON'), { code: '${BOOTSTRAP_CODES.badInput}' });
  }
  const mod = await import(pathToFileURL(entry).href);
  const target = host ? await import(pathToFileURL(host).href) : mod;
  const fn = target[exportName];
  if (typeof fn !== 'function') {
    throw Object.assign(new Error("the app's entry has no exported function " + JSON.stringify(exportName)), { code: '${BOOTSTRAP_CODES.noExport}' });
  }
  const output = host ? await fn(input, mod) : await fn(input);
  if (!done) { done = true; send({ ok: true, output: output === undefined ? null : output }); process.exit(0); }
} catch (e) { fail(e); }
`;
