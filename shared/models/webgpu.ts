// WebGPU for TF.js in Node: @tensorflow/tfjs-backend-webgpu on Dawn, through the `webgpu` package's
// prebuilt dawn.node (both optional dependencies). Dawn says why it found no adapter only on stderr,
// from native code, so whether this machine has an adapter is asked in a short child process whose
// stderr is read (and kept off ours); the backend itself is then loaded here.

import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);

/**
 * Options for Dawn's create(), from ACCORD_DAWN_OPTIONS (space-separated), e.g. "backend=vulkan",
 * "adapter=NAME", "enable-dawn-features=a,b"; "backend=null" gives an adapter that computes nothing
 * (a smoke test of the loading, not of the kernels).
 */
export function dawnOptions(env: NodeJS.ProcessEnv = process.env): string[] {
  return (env['ACCORD_DAWN_OPTIONS'] ?? '').split(/\s+/).filter(Boolean);
}

export type DawnProbe =
  | { ok: true; device: string; fallback: boolean }
  | { ok: false; reason: string /** Dawn's own words on stderr, when it said anything */; dawn?: string };

// Runs in the child: loads dawn.node, asks for an adapter, prints what it found as one JSON line.
const PROBE = `
const { create, globals } = await import(process.argv[1]);
Object.assign(globalThis, globals);
const gpu = create(JSON.parse(process.argv[2]));
const a = await gpu.requestAdapter({ powerPreference: 'high-performance' });
const i = a ? a.info ?? {} : undefined;
process.stdout.write(JSON.stringify(a ? {
  vendor: i.vendor ?? '', architecture: i.architecture ?? '', device: i.device ?? '', description: i.description ?? '',
  fallback: Boolean(i.isFallbackAdapter ?? a.isFallbackAdapter),
} : null) + '\\n');
process.exit(0);
`;

/** Dawn's messages on stderr, without the source locations: "X, while Y; Z". */
export function dawnMessages(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trimEnd());
  const out: string[] = [];
  for (const l of lines) {
    const m = /^(?:Warning|Error): (.*)$/.exec(l);
    if (m) out.push(m[1]!.replace(/\.$/, ''));
    else if (/^ - /.test(l) && out.length) out[out.length - 1] += `, ${l.slice(3).replace(/^While/, 'while')}`;
  }
  // Nothing in Dawn's format: the other lines that are not stack frames.
  const text = out.length ? out : lines.filter((l) => l.trim() && !/^\s+at /.test(l));
  return text.join('; ').slice(0, 400);
}

function resolvePackage(name: string): string | undefined {
  try {
    return require.resolve(name);
  } catch {
    return undefined;
  }
}

/** Whether Dawn finds an adapter here, and if not, why (the packages, dawn.node, or Dawn's own words). */
export async function probeDawn(timeoutMs = 30_000): Promise<DawnProbe> {
  const dawn = resolvePackage('webgpu');
  if (!dawn) return { ok: false, reason: 'package webgpu (Dawn) not installed' };
  if (!resolvePackage('@tensorflow/tfjs-backend-webgpu'))
    return { ok: false, reason: 'package @tensorflow/tfjs-backend-webgpu not installed' };
  const run = await new Promise<{ code: number | string | null; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      ['--input-type=module', '-e', PROBE, pathToFileURL(dawn).href, JSON.stringify(dawnOptions())],
      { timeout: timeoutMs, maxBuffer: 1 << 20, env: { ...process.env, NODE_OPTIONS: '' } },
      (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number | string }).code ?? 1) : 0, stdout, stderr }),
    );
  });
  const said = dawnMessages(run.stderr);
  const last = run.stdout.trim().split('\n').pop() ?? '';
  if (run.code !== 0 || !last) {
    const why = run.code === null || (run.code !== 0 && !said) ? `no answer within ${timeoutMs} ms` : said;
    return { ok: false, reason: `dawn.node failed: ${why || `exit ${run.code}`}`, ...(said ? { dawn: said } : {}) };
  }
  const adapter = JSON.parse(last) as {
    vendor: string;
    architecture: string;
    device: string;
    description: string;
    fallback: boolean;
  } | null;
  if (!adapter)
    return {
      ok: false,
      reason: `Dawn found no GPU adapter: ${said || 'it gave no reason'}`,
      ...(said ? { dawn: said } : {}),
    };
  const name = adapter.description || [adapter.architecture, adapter.device].filter(Boolean).join(' ') || 'adapter';
  // Hello.device is at most 64 characters.
  return { ok: true, device: `${adapter.vendor || 'gpu'}:${name}`.slice(0, 64), fallback: adapter.fallback };
}

interface DawnModule {
  create(options: string[]): unknown;
  globals: Record<string, unknown>;
}

let gpu: unknown;

/**
 * Puts Dawn's WebGPU on globalThis (navigator.gpu and the GPU* constants) and registers the TF.js
 * webgpu backend, which looks for navigator.gpu when it is imported. Call after probeDawn() found an adapter.
 */
export async function loadDawnBackend(): Promise<void> {
  // Both optional: their types are declared in optional-modules.d.ts.
  const { create, globals }: DawnModule = await import('webgpu');
  const g = globalThis as { navigator?: { gpu?: unknown } };
  for (const [k, v] of Object.entries(globals)) if (!(k in globalThis)) (globalThis as Record<string, unknown>)[k] = v;
  // Node 20 has no navigator; Node 21 and later have one without gpu.
  if (!g.navigator) g.navigator = {};
  gpu ??= create(dawnOptions());
  g.navigator.gpu = gpu;
  await import('@tensorflow/tfjs-backend-webgpu');
}

/**
 * Lets the process exit: while a Dawn device lives, dawn.node keeps Node's event loop running.
 * `device` is the TF.js webgpu backend's GPUDevice.
 */
export function releaseDawn(device: { destroy(): void } | undefined): void {
  device?.destroy();
  const g = globalThis as { navigator?: { gpu?: unknown } };
  if (g.navigator) delete g.navigator.gpu;
  gpu = undefined;
}
