// TF.js backend choice at run time: tensorflow (tfjs-node / tfjs-node-gpu, when installed) > wasm > cpu.
// The native packages are optionalDependencies: their install needs the internet, so they may be absent.

import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { DependencyError } from '../errors/index.js';
import { registerWasmConvGradients } from './wasm-conv-grad.js';

export type BackendName = 'tensorflow' | 'wasm' | 'cpu';
export const BACKEND_ORDER: readonly BackendName[] = ['tensorflow', 'wasm', 'cpu'];

export interface BackendChoice {
  backend: BackendName;
  /** What computes: "cpu", "cuda" (tfjs-node-gpu), "wasm-simd" ... */
  device: string;
  tfjsVersion: string;
  /** Why this one: the preferred one, or what was missing above it. */
  reason: string;
}

/** Pure: the first usable backend, honouring an explicit preference. */
export function pickBackend(
  available: ReadonlySet<BackendName>,
  preferred: BackendName | 'auto' = 'auto',
): BackendName {
  if (preferred !== 'auto') {
    if (!available.has(preferred)) {
      const hint = preferred === 'tensorflow' ? ' (install @tensorflow/tfjs-node or @tensorflow/tfjs-node-gpu)' : '';
      throw new DependencyError(
        `backend "${preferred}" is not available here${hint}; available: ${[...available].join(', ')}`,
      );
    }
    return preferred;
  }
  const b = BACKEND_ORDER.find((n) => available.has(n));
  if (!b) throw new DependencyError('no TF.js backend is available');
  return b;
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
    return true;
  } catch {
    return false;
  }
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

async function initOnce(preferred: BackendName | 'auto'): Promise<BackendChoice> {
  const available = new Set<BackendName>(['cpu']);
  const skipped: string[] = [];
  let nativeDevice: string | undefined;
  if (preferred === 'auto' || preferred === 'tensorflow') {
    nativeDevice = await loadNative();
    if (nativeDevice) available.add('tensorflow');
    else skipped.push('tensorflow (tfjs-node not installed)');
  }
  if (preferred === 'auto' || preferred === 'wasm') {
    if (await loadWasm()) available.add('wasm');
    else skipped.push('wasm (tfjs-backend-wasm failed to load)');
  }
  const backend = pickBackend(available, preferred);
  if (!(await tf.setBackend(backend))) throw new DependencyError(`backend "${backend}" failed to initialise`);
  await tf.ready();
  const device = backend === 'tensorflow' ? nativeDevice! : backend === 'wasm' ? 'wasm' : 'cpu';
  const reason =
    preferred !== 'auto' ? 'requested' : skipped.length ? `unavailable: ${skipped.join(', ')}` : 'first choice';
  chosen = { backend, device, tfjsVersion: tf.version.tfjs, reason };
  return chosen;
}
