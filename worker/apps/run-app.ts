// One task of an app at the site: the worker writes the global weights and the site's prepared examples
// into a fresh scratch folder, runs the app host (host.mjs) around the app in the sandbox, and reads
// back what it wrote: the test probabilities and the trained weights. What comes back is untrusted (the
// app wrote it): sizes, finiteness and ranges are checked here before anything is used or released, and
// the metrics the site sends are computed here from the probabilities (scoreProbabilities), not taken
// from the app.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { APP_ENTRY } from '../../shared/apps/bundle.js';
import type { AppShape, AppTrainSettings } from '../../shared/apps/interface.js';
import type { Examples } from '../../shared/data/features.js';
import { SandboxError } from '../../shared/errors/index.js';
import { runSandboxed, type SandboxResult } from '../sandbox/index.js';

const require = createRequire(import.meta.url);

/** The trusted host module: beside this file, as source and in dist/ (the build copies it). */
const HOST = fileURLToPath(new URL('./host.mjs', import.meta.url));

/** TF.js's entry and the node_modules folder the sandbox lets the app host read it from. */
function tfjs(): { url: string; modules: string } {
  const entry = require.resolve('@tensorflow/tfjs');
  let dir = path.dirname(entry);
  while (path.basename(dir) !== 'node_modules' && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return { url: pathToFileURL(entry).href, modules: dir };
}

export interface AppRunLimits {
  timeoutMs: number;
  heapMB: number;
  requireNetworkIsolation: boolean;
}

export interface AppRun {
  appDir: string;
  topology: Record<string, unknown>;
  shape: AppShape;
  /** The global model's weights, in the model's order. */
  weights: Float32Array;
  /** Test rows to score before training, when the site releases metrics. */
  test?: Examples | undefined;
  /** Training rows and settings, for a train task. */
  train?: { data: Examples; settings: AppTrainSettings } | undefined;
  limits: AppRunLimits;
}

export interface AppRunResult {
  /** Class probabilities on the test rows ([n] binary, [n, classes] otherwise). */
  probabilities?: Float32Array;
  /** The app's own metrics, named app.<name>. */
  metrics: Record<string, number>;
  /** Trained weights and the last epoch's mean loss (train). */
  weights?: Float32Array;
  loss?: number;
  sandbox: Pick<SandboxResult, 'isolation' | 'durationMs' | 'logs'>;
}

const bad = (why: string) => new SandboxError(`the app's result: ${why}`, 'SANDBOX_BAD_RESULT');

function writeF32(file: string, a: Float32Array | Int32Array): void {
  fs.writeFileSync(file, Buffer.from(a.buffer, a.byteOffset, a.byteLength));
}

/** A float32 file the app wrote, of exactly `count` finite values (within [lo, hi]). */
function readF32(file: string, count: number, what: string, lo = -Infinity, hi = Infinity): Float32Array {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(file);
  } catch {
    throw bad(`no ${what}`);
  }
  if (!st.isFile() || st.size !== count * 4) throw bad(`${what} holds ${st.size} bytes, ${count * 4} expected`);
  const b = fs.readFileSync(file);
  const out = new Float32Array(count);
  out.set(new Float32Array(b.buffer, b.byteOffset, count));
  for (let i = 0; i < count; i++) {
    const v = out[i]!;
    if (!Number.isFinite(v) || v < lo || v > hi) throw bad(`${what}[${i}] is ${v}`);
  }
  return out;
}

/** The app's metrics: at most 20, named [A-Za-z][A-Za-z0-9_]*, finite; sent as app.<name>. */
function appMetrics(raw: unknown): Record<string, number> {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) throw bad('metrics is not an object');
  const entries = Object.entries(raw as Record<string, unknown>);
  if (entries.length > 20) throw bad(`${entries.length} metrics, at most 20`);
  const out: Record<string, number> = {};
  for (const [k, v] of entries) {
    if (!/^[A-Za-z][A-Za-z0-9_]{0,39}$/.test(k)) throw bad(`metric name ${JSON.stringify(k.slice(0, 50))}`);
    if (typeof v !== 'number' || !Number.isFinite(v)) throw bad(`metric ${k} is not a finite number`);
    out[`app.${k}`] = v;
  }
  return out;
}

/** Runs one task of the app in the sandbox; SandboxError when the app fails or returns bad data. */
export async function runApp(run: AppRun): Promise<AppRunResult> {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'accord-app-run-'));
  try {
    const file = (name: string) => path.join(scratch, name);
    writeF32(file('weights.bin'), run.weights);
    const examples = (e: Examples, name: string) => {
      writeF32(file(`${name}-x.bin`), e.x);
      writeF32(file(`${name}-y.bin`), e.y);
      return { x: file(`${name}-x.bin`), y: file(`${name}-y.bin`), n: e.n };
    };
    const tf = tfjs();
    const input = {
      tfUrl: tf.url,
      topology: run.topology,
      shape: run.shape,
      weightsFile: file('weights.bin'),
      ...(run.test ? { test: examples(run.test, 'test') } : {}),
      ...(run.train ? { train: examples(run.train.data, 'train'), settings: run.train.settings } : {}),
      out: { weights: file('out-weights.bin'), probabilities: file('out-probabilities.bin') },
    };
    const res = await runSandboxed({
      appDir: run.appDir,
      entry: APP_ENTRY,
      host: HOST,
      exportName: 'task',
      input,
      readPaths: [tf.modules],
      scratchDir: scratch,
      timeoutMs: run.limits.timeoutMs,
      heapMB: run.limits.heapMB,
      requireNetworkIsolation: run.limits.requireNetworkIsolation,
    });
    const output = (res.output ?? {}) as { loss?: unknown; metrics?: unknown };
    const result: AppRunResult = {
      metrics: appMetrics(output.metrics),
      sandbox: { isolation: res.isolation, durationMs: res.durationMs, logs: res.logs },
    };
    if (run.test)
      result.probabilities = readF32(
        input.out.probabilities,
        run.test.n * run.shape.outputUnits,
        'test probabilities',
        0,
        1,
      );
    if (run.train) {
      result.weights = readF32(input.out.weights, run.weights.length, 'trained weights');
      if (typeof output.loss !== 'number' || !Number.isFinite(output.loss))
        throw bad('the training loss is not finite');
      result.loss = output.loss;
    }
    return result;
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}
