// An app as it travels: the files of its folder, named by a digest of their contents. The digest is
// what a site approves (it is in the manifest) and what its policy allows; a site checks every bundle
// it receives against it before anything of the app is written to its disk. Pure apart from the two
// folder adapters at the end.
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError, ProtocolError } from '../errors/index.js';
import { canonicalHash, sha256Hex } from '../trust/canonical.js';
import { APP_SIGNATURES_FILE } from './signature.js';

/** The module a site imports from an app's folder. */
export const APP_ENTRY = 'app.mjs';

/** Bounds on an app: it is code and small data (a vocabulary, a scaler), never a data set. */
export const APP_LIMITS = {
  /** Total bytes of all files. */
  maxBytes: 8 * 1024 * 1024,
  /** Files, all folders included. */
  maxFiles: 500,
} as const;

/** Relative, '/'-separated, no '..', no hidden segment, no odd characters: safe to write at any site. */
const SAFE_PATH = /^(?!.*(?:^|\/)\.)[A-Za-z0-9_][A-Za-z0-9_.-]*(?:\/[A-Za-z0-9_][A-Za-z0-9_.-]*)*$/;

/** An app's files by relative path. */
export type AppFiles = ReadonlyMap<string, Uint8Array>;

/** Checks the file list against the bounds and path rules, or throws with `fail`'s error. */
function checkFiles(files: AppFiles, fail: (why: string) => Error): void {
  if (files.size > APP_LIMITS.maxFiles) throw fail(`it has ${files.size} files, more than ${APP_LIMITS.maxFiles}`);
  let bytes = 0;
  for (const [p, content] of files) {
    if (!SAFE_PATH.test(p) || p.length > 200) throw fail(`file name ${JSON.stringify(p.slice(0, 200))} is not allowed`);
    bytes += content.byteLength;
  }
  if (bytes > APP_LIMITS.maxBytes) throw fail(`it holds ${bytes} bytes, more than ${APP_LIMITS.maxBytes}`);
  if (!files.has(APP_ENTRY)) throw fail(`it has no ${APP_ENTRY}`);
}

/**
 * The app's digest: SHA-256 of the canonical JSON of {format, files: {path: sha256 of the file}}. File
 * order and the transport do not matter; one changed byte in any file changes it.
 */
export function appDigest(files: AppFiles): string {
  const listing: Record<string, string> = {};
  for (const [p, content] of files) listing[p] = sha256Hex(content);
  return canonicalHash({ format: 'accord-app/1', files: listing });
}

/** The bytes that travel: JSON {files: {path: base64}}. */
export function encodeApp(files: AppFiles): Buffer {
  const out: Record<string, string> = {};
  for (const [p, content] of [...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
    out[p] = Buffer.from(content).toString('base64');
  return Buffer.from(JSON.stringify({ files: out }));
}

/**
 * The files of bundle `bytes`, checked: well-formed, within the bounds, and with digest `expected`; else
 * a ProtocolError (BAD_APP) naming what is wrong. Nothing is written.
 */
export function decodeApp(bytes: Uint8Array, expected: string): AppFiles {
  const fail = (why: string) => new ProtocolError(`app ${expected.slice(0, 12)}: ${why}`, 'BAD_APP');
  if (bytes.byteLength > 2 * APP_LIMITS.maxBytes) throw fail(`the bundle is ${bytes.byteLength} bytes, too large`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    throw fail('the bundle is not JSON');
  }
  const listing = (parsed as { files?: unknown } | null)?.files;
  if (!listing || typeof listing !== 'object' || Array.isArray(listing)) throw fail('the bundle has no file list');
  const files = new Map<string, Uint8Array>();
  for (const [p, b64] of Object.entries(listing)) {
    if (typeof b64 !== 'string') throw fail(`file ${JSON.stringify(p.slice(0, 200))} is not base64 text`);
    files.set(p, Buffer.from(b64, 'base64'));
  }
  checkFiles(files, fail);
  const actual = appDigest(files);
  if (actual !== expected) throw fail(`its digest is ${actual}, not the approved ${expected}`);
  return files;
}

/**
 * Reads an app folder: regular files only (a symbolic link, a socket or a device is refused, so the
 * bundle holds exactly what the folder shows); hidden files and folders (.git, .env), node_modules and
 * the signatures file (signature.ts: signatures are of the digest, not in it) are left out. A
 * ConfigError names what is wrong.
 */
export function readAppFolder(dir: string): AppFiles {
  const root = path.resolve(dir);
  const fail = (why: string) => new ConfigError(`app ${root}: ${why}`);
  if (!fs.existsSync(root) || !fs.statSync(root).isDirectory()) throw fail('no such folder');
  const files = new Map<string, Uint8Array>();
  const walk = (rel: string) => {
    for (const e of fs.readdirSync(path.join(root, rel), { withFileTypes: true })) {
      const p = rel ? `${rel}/${e.name}` : e.name;
      if (e.name.startsWith('.') || e.name === 'node_modules' || p === APP_SIGNATURES_FILE) continue;
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) {
        if (files.size >= APP_LIMITS.maxFiles) throw fail(`it has more than ${APP_LIMITS.maxFiles} files`);
        files.set(p, fs.readFileSync(path.join(root, p)));
      } else throw fail(`${p} is not a regular file (links are refused: an app ships its own files)`);
    }
  };
  walk('');
  checkFiles(files, fail);
  return files;
}

/**
 * Writes checked `files` (decodeApp) into `dir`, which must not exist: into a temporary sibling first,
 * renamed at the end, so a folder named by a digest is always complete.
 */
export function writeAppFolder(dir: string, files: AppFiles): void {
  const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  for (const [p, content] of files) {
    const file = path.join(tmp, ...p.split('/'));
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content, { flag: 'wx', mode: 0o444 });
  }
  try {
    fs.renameSync(tmp, dir);
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    // Another task of this site cached the same digest first: its folder is as good.
    if (!fs.existsSync(path.join(dir, APP_ENTRY))) throw e;
  }
}
