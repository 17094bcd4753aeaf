// An app as it travels (shared/apps/bundle.ts): its digest, the bundle's encoding, what decodeApp refuses
// before anything is written, and the two folder adapters.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  APP_ENTRY,
  APP_LIMITS,
  type AppFiles,
  appDigest,
  decodeApp,
  encodeApp,
  readAppFolder,
  writeAppFolder,
} from '../../shared/apps/bundle.js';
import { ConfigError, ProtocolError } from '../../shared/errors/index.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'accord-app-bundle-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const text = (s: string) => new Uint8Array(Buffer.from(s));

/** A small app: the entry, a file in a sub-folder and one binary file. */
function smallApp(): Map<string, Uint8Array> {
  return new Map<string, Uint8Array>([
    [APP_ENTRY, text('export function evaluate() { return {}; }\n')],
    ['lib/vocab.json', text('["a","b","c"]')],
    ['scaler.bin', new Uint8Array([0, 1, 2, 255, 128])],
  ]);
}

/** The error thrown by `f`, or fails the test when it returns. */
function thrown(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a throw');
}

/** decodeApp of a raw bundle object (files: path -> base64). */
function decodeRaw(listing: Record<string, unknown>, expected = 'f'.repeat(64)) {
  return () => decodeApp(Buffer.from(JSON.stringify({ files: listing })), expected);
}

const b64 = (s: string) => Buffer.from(s).toString('base64');

/** Asserts `f` throws a BAD_APP ProtocolError whose message matches `why`. */
function expectBadApp(f: () => unknown, why: RegExp) {
  const e = thrown(f);
  expect(e).toBeInstanceOf(ProtocolError);
  expect((e as ProtocolError).code).toBe('BAD_APP');
  expect(e.message).toMatch(why);
}

describe('appDigest', () => {
  it('is a hex SHA-256 that does not depend on file order', () => {
    const files = smallApp();
    const reversed = new Map([...files].reverse());
    expect([...reversed.keys()]).not.toEqual([...files.keys()]);
    expect(appDigest(files)).toMatch(/^[0-9a-f]{64}$/);
    expect(appDigest(reversed)).toBe(appDigest(files));
    expect(appDigest(smallApp())).toBe(appDigest(files));
  });

  it('changes when one byte of one file changes, or a file is renamed or added', () => {
    const files = smallApp();
    const before = appDigest(files);
    const changed = smallApp();
    const bin = changed.get('scaler.bin')!;
    bin[3] = 254;
    expect(appDigest(changed)).not.toBe(before);
    const renamed = smallApp();
    renamed.set('scaler2.bin', renamed.get('scaler.bin')!);
    renamed.delete('scaler.bin');
    expect(appDigest(renamed)).not.toBe(before);
    const added = smallApp();
    added.set('empty.txt', new Uint8Array(0));
    expect(appDigest(added)).not.toBe(before);
  });
});

describe('encodeApp / decodeApp', () => {
  it('round-trips every file byte for byte', () => {
    const files = smallApp();
    const digest = appDigest(files);
    const back = decodeApp(encodeApp(files), digest);
    expect([...back.keys()].sort()).toEqual([...files.keys()].sort());
    for (const [p, content] of files) expect(Buffer.from(back.get(p)!).equals(Buffer.from(content))).toBe(true);
    expect(appDigest(back)).toBe(digest);
  });

  it('encodes the same files to the same bytes whatever their order', () => {
    const files = smallApp();
    expect(encodeApp(new Map([...files].reverse())).equals(encodeApp(files))).toBe(true);
  });

  it('refuses a bundle whose digest is not the approved one', () => {
    const files = smallApp();
    const other = smallApp();
    other.set(APP_ENTRY, text('export function evaluate() { return { evil: 1 }; }\n'));
    const approved = appDigest(files);
    expectBadApp(() => decodeApp(encodeApp(other), approved), new RegExp(`not the approved ${approved}`));
    expectBadApp(() => decodeApp(encodeApp(other), approved), new RegExp(`^app ${approved.slice(0, 12)}: `));
  });

  it('refuses a bundle that is not JSON or has no file list', () => {
    expectBadApp(() => decodeApp(Buffer.from('{"files": '), 'a'.repeat(64)), /not JSON/);
    expectBadApp(() => decodeApp(Buffer.from('null'), 'a'.repeat(64)), /no file list/);
    expectBadApp(() => decodeApp(Buffer.from('{"files":["app.mjs"]}'), 'a'.repeat(64)), /no file list/);
    expectBadApp(decodeRaw({ [APP_ENTRY]: 42 }), /is not base64 text/);
  });

  it("refuses a path with '..', a hidden segment, an absolute path or odd characters", () => {
    const entry = b64('export {}');
    for (const bad of [
      '../app.mjs',
      'lib/../../x.js',
      '..',
      '.env',
      'lib/.secret',
      '.git/config',
      '/etc/passwd',
      'lib//x.js',
      'lib\\x.js',
      'a b.js',
      'lib/',
    ])
      expectBadApp(decodeRaw({ [APP_ENTRY]: entry, [bad]: b64('x') }), /file name .* is not allowed/);
    expectBadApp(decodeRaw({ [APP_ENTRY]: entry, [`${'a'.repeat(201)}.js`]: b64('x') }), /is not allowed/);
  });

  it('refuses a bundle without app.mjs', () => {
    const files = new Map([['main.mjs', text('export {}')]]);
    expectBadApp(() => decodeApp(encodeApp(files), appDigest(files)), /has no app\.mjs/);
  });

  it('refuses too many bytes, too many files, and a bundle too large to parse', () => {
    const big = new Map([
      [APP_ENTRY, text('export {}')],
      ['weights.bin', new Uint8Array(APP_LIMITS.maxBytes)],
    ]);
    expectBadApp(() => decodeApp(encodeApp(big), appDigest(big)), /bytes, more than 8388608/);
    const many = new Map<string, Uint8Array>([[APP_ENTRY, text('export {}')]]);
    for (let i = 0; i < APP_LIMITS.maxFiles; i++) many.set(`f${i}.txt`, text(String(i)));
    expectBadApp(() => decodeApp(encodeApp(many), appDigest(many)), /501 files, more than 500/);
    expectBadApp(() => decodeApp(new Uint8Array(2 * APP_LIMITS.maxBytes + 1), 'a'.repeat(64)), /too large/);
  });
});

describe('readAppFolder', () => {
  it('reads the files, skipping hidden files and folders and node_modules', () => {
    const dir = path.join(tmp, 'read');
    fs.mkdirSync(path.join(dir, 'lib'), { recursive: true });
    fs.mkdirSync(path.join(dir, '.git'), { recursive: true });
    fs.mkdirSync(path.join(dir, 'node_modules', 'pkg'), { recursive: true });
    fs.writeFileSync(path.join(dir, APP_ENTRY), 'export {}');
    fs.writeFileSync(path.join(dir, 'lib', 'util.mjs'), 'export const x = 1;');
    fs.writeFileSync(path.join(dir, '.env'), 'SECRET=1');
    fs.writeFileSync(path.join(dir, 'lib', '.hidden'), 'x');
    fs.writeFileSync(path.join(dir, '.git', 'config'), '[core]');
    fs.writeFileSync(path.join(dir, 'node_modules', 'pkg', 'index.js'), 'module.exports = 1;');
    const files = readAppFolder(dir);
    expect([...files.keys()].sort()).toEqual([APP_ENTRY, 'lib/util.mjs']);
    expect(Buffer.from(files.get('lib/util.mjs')!).toString()).toBe('export const x = 1;');
  });

  it('refuses a symbolic link, with a ConfigError naming it', () => {
    const dir = path.join(tmp, 'link');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, APP_ENTRY), 'export {}');
    fs.writeFileSync(path.join(tmp, 'outside.txt'), 'not the app');
    fs.symlinkSync(path.join(tmp, 'outside.txt'), path.join(dir, 'data.txt'));
    const e = thrown(() => readAppFolder(dir));
    expect(e).toBeInstanceOf(ConfigError);
    expect(e.message).toMatch(/data\.txt is not a regular file/);
  });

  it('refuses a symbolic link to a folder', () => {
    const dir = path.join(tmp, 'dirlink');
    fs.mkdirSync(path.join(tmp, 'elsewhere'), { recursive: true });
    fs.writeFileSync(path.join(tmp, 'elsewhere', 'x.txt'), 'x');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, APP_ENTRY), 'export {}');
    fs.symlinkSync(path.join(tmp, 'elsewhere'), path.join(dir, 'lib'));
    const e = thrown(() => readAppFolder(dir));
    expect(e).toBeInstanceOf(ConfigError);
    expect(e.message).toMatch(/lib is not a regular file/);
  });

  it('refuses a missing folder, a file, and a folder without app.mjs', () => {
    const missing = thrown(() => readAppFolder(path.join(tmp, 'no-such-app')));
    expect(missing).toBeInstanceOf(ConfigError);
    expect(missing.message).toMatch(/no such folder/);
    fs.writeFileSync(path.join(tmp, 'plain-file'), 'x');
    expect(thrown(() => readAppFolder(path.join(tmp, 'plain-file'))).message).toMatch(/no such folder/);
    const empty = path.join(tmp, 'no-entry');
    fs.mkdirSync(empty, { recursive: true });
    fs.writeFileSync(path.join(empty, 'main.mjs'), 'export {}');
    const e = thrown(() => readAppFolder(empty));
    expect(e).toBeInstanceOf(ConfigError);
    expect(e.message).toMatch(/has no app\.mjs/);
  });
});

describe('writeAppFolder', () => {
  it('writes the files, which read back equal (same digest)', () => {
    const files: AppFiles = smallApp();
    const dir = path.join(tmp, 'cache', appDigest(files));
    fs.mkdirSync(path.dirname(dir), { recursive: true });
    writeAppFolder(dir, files);
    const back = readAppFolder(dir);
    expect([...back.keys()].sort()).toEqual([...files.keys()].sort());
    for (const [p, content] of files) expect(Buffer.from(back.get(p)!).equals(Buffer.from(content))).toBe(true);
    expect(appDigest(back)).toBe(appDigest(files));
    // No temporary sibling is left behind.
    expect(fs.readdirSync(path.dirname(dir))).toEqual([path.basename(dir)]);
  });

  it('a second write of the same digest into the existing folder does not throw and leaves it intact', () => {
    const files = smallApp();
    const dir = path.join(tmp, 'cache2', appDigest(files));
    fs.mkdirSync(path.dirname(dir), { recursive: true });
    writeAppFolder(dir, files);
    expect(() => writeAppFolder(dir, files)).not.toThrow();
    expect(appDigest(readAppFolder(dir))).toBe(appDigest(files));
    expect(fs.readdirSync(path.dirname(dir))).toEqual([path.basename(dir)]);
  });

  it('still throws when the target exists without app.mjs', () => {
    const files = smallApp();
    const dir = path.join(tmp, 'cache3', 'occupied');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'other.txt'), 'x');
    expect(() => writeAppFolder(dir, files)).toThrow();
    expect(fs.readdirSync(path.dirname(dir))).toEqual(['occupied']);
  });
});
