// TF.js backend choice at run time: tensorflow (tfjs-node / tfjs-node-gpu, when installed) > webgpu (Dawn,
// when it finds a GPU adapter) > wasm > cpu. The native and WebGPU packages are optionalDependencies
// (tfjs-node's install downloads libtensorflow, which needs the internet), so they may be absent.

import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { DependencyError } from '../errors/index.js';
import { registerWasmConvGradients } from './wasm-conv-grad.js';
import { registerWasmUntransposedProducts } from './wasm-matmul.js';
import { loadDawnBackend, probeDawn, releaseDawn } from './webgpu.js';

export type BackendName = 'tensorflow' | 'webgpu' | 'wasm' | 'cpu';
export const BACKEND_ORDER: readonly BackendName[] = ['tensorflow', 'webgpu', 'wasm', 'cpu'];

export function isBackendName(name: string): name is BackendName {
  return (BACKEND_ORDER as readonly string[]).includes(name);
}

export interface BackendChoice {
  backend: BackendName;
  /** What computes: "cpu", "cuda" (tfjs-node-gpu), "wasm", "nvidia:NVIDIA H200" (webgpu: Dawn's adapter) ... */
  device: string;
  tfjsVersion: string;
  /** Why this one: "requested", "first choice", or "unavailable: " and each backend above it with why. */
  reason: string;
}

const require = createRequire(import.meta.url);
let chosen: BackendChoice | undefined;

/** Tries to load the native TensorFlow binding; returns its device or undefined. */
async function loadNative(): Promise<string | undefined> {
  for (const [pkg, device] of [
    ['@tensorflow/tfjs-node-gpu', 'cuda'],
    ['@tensorflow/tfjs-node', 'cpu'],
  ] as const) {
    try {
      await import(pkg);
      if (tf.findBackend('tensorflow')) return device;
    } catch {
      // not installed, or its libtensorflow download failed at install time: try the next one
    }
  }
  return undefined;
}

async function loadWasm(): Promise<boolean> {
  try {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    const dir =
      path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + path.sep;
    wasm.setWasmPaths(dir);
    registerWasmConvGradients();
    registerWasmUntransposedProducts();
    return true;
  } catch {
    return false;
  }
}

/** Loads one backend's package: its device, or why it cannot be used here. */
async function load(name: BackendName, auto: boolean): Promise<{ device: string } | { why: string }> {
  switch (name) {
    case 'tensorflow': {
      const device = await loadNative();
      return device ? { device } : { why: 'tfjs-node not installed' };
    }
    case 'webgpu': {
      const probe = await probeDawn();
      if (!probe.ok) return { why: probe.reason };
      // A software adapter (Dawn's fallback) is slower than wasm: only when asked for.
      if (probe.fallback && auto) return { why: `Dawn's adapter ${probe.device} is a software fallback` };
      try {
        await loadDawnBackend();
      } catch (e) {
        return { why: `loading the backend failed: ${(e as Error).message}` };
      }
      return { device: probe.device };
    }
    case 'wasm':
      return (await loadWasm()) ? { device: 'wasm' } : { why: 'tfjs-backend-wasm failed to load' };
    case 'cpu':
      return { device: 'cpu' };
  }
}

/**
 * Why `name` cannot be used here, or undefined when it can; loads nothing into TF.js for webgpu (Dawn is
 * asked in a child process), so a command can check a requested backend before it starts anything.
 */
export async function backendUnavailable(name: string): Promise<string | undefined> {
  if (name === 'auto') return undefined;
  if (!isBackendName(name)) return `unknown backend "${name}"; expected auto, ${BACKEND_ORDER.join(', ')}`;
  if (name === 'webgpu') {
    const probe = await probeDawn();
    return probe.ok ? undefined : probe.reason;
  }
  const r = await load(name, false);
  return 'why' in r ? r.why : undefined;
}

let pending: { preferred: BackendName | 'auto'; promise: Promise<BackendChoice> } | undefined;

/** Chooses and initialises the backend once per process (concurrent callers share one initialisation). */
export async function initBackend(preferred: BackendName | 'auto' = 'auto'): Promise<BackendChoice> {
  if (chosen && (preferred === 'auto' || preferred === chosen.backend)) return chosen;
  if (pending && (pending.preferred === preferred || preferred === 'auto')) return pending.promise;
  const promise = initOnce(preferred).finally(() => (pending = undefined));
  pending = { preferred, promise };
  return promise;
}

/** Tries each backend in BACKEND_ORDER (or only the requested one) and keeps why each above the choice failed. */
async function initOnce(preferred: BackendName | 'auto'): Promise<BackendChoice> {
  const auto = preferred === 'auto';
  if (!auto && !isBackendName(preferred))
    throw new DependencyError(`unknown backend "${String(preferred)}"; expected auto, ${BACKEND_ORDER.join(', ')}`);
  const skipped: string[] = [];
  for (const name of auto ? BACKEND_ORDER : [preferred]) {
    const loaded = await load(name, auto);
    let why = 'why' in loaded ? loaded.why : undefined;
    if (!why && !(await tf.setBackend(name))) why = 'failed to initialise';
    if (why) {
      if (!auto) {
        const hint = name === 'tensorflow' ? ' (install @tensorflow/tfjs-node or @tensorflow/tfjs-node-gpu)' : '';
        throw new DependencyError(`backend "${name}" is not available here: ${why}${hint}`);
      }
      skipped.push(`${name} (${why})`);
      continue;
    }
    await tf.ready();
    const reason = !auto ? 'requested' : skipped.length ? `unavailable: ${skipped.join(', ')}` : 'first choice';
    chosen = { backend: name, device: (loaded as { device: string }).device, tfjsVersion: tf.version.tfjs, reason };
    return chosen;
  }
  throw new DependencyError(`no TF.js backend is available: ${skipped.join(', ')}`);
}

/** Lets the process exit when the backend holds a GPU device (webgpu); a no-op otherwise. */
export function releaseBackend(): void {
  if (chosen?.backend !== 'webgpu') return;
  releaseDawn((tf.findBackend('webgpu') as unknown as { device?: { destroy(): void } } | null)?.device);
  tf.removeBackend('webgpu');
  chosen = undefined;
}
