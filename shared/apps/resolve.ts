// An app where the experiment is submitted or simulated: its folder read into a bundle and named by its
// digest, and its `model` hook called to give the topology that travels by value (shared/models/
// topology.ts). This runs the submitter's own code on the submitter's machine, in this process; sites
// never do: they run the other hooks in their sandbox (worker/apps/run-app.ts).
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { DataConfig, ModelConfig } from '../config/schema.js';
import { classCount, inputSize } from '../data/shape.js';
import { ConfigError } from '../errors/index.js';
import { topologyDigest } from '../models/topology.js';
import { canonicalJson } from '../trust/canonical.js';
import { APP_ENTRY, appDigest, encodeApp, readAppFolder } from './bundle.js';
import type { AccordApp, AppShape } from './interface.js';
import { checkedAppSignatures } from './signature.js';

/** The model input and output an experiment's data gives an app. */
export function appShape(data: DataConfig): AppShape {
  const classes = classCount(data);
  return {
    inputSize: inputSize(data),
    classes,
    outputUnits: classes === 2 ? 1 : classes,
    ...(data.format === 'idx' ? { imageShape: data.imageShape } : {}),
  };
}

export interface ResolvedApp {
  /** The model config as it travels: topology, its digest, and the app's digest. */
  model: Extract<ModelConfig, { topology: unknown }>;
  /** The bundle the coordinator serves to the sites (shared/apps/bundle.ts). */
  bundle: Buffer;
}

/** Imports app.mjs of `dir` (the submitter's own code) and checks it has a model hook. */
async function importApp(dir: string): Promise<AccordApp> {
  let mod: Partial<AccordApp>;
  try {
    mod = (await import(pathToFileURL(path.join(dir, APP_ENTRY)).href)) as Partial<AccordApp>;
  } catch (e) {
    throw new ConfigError(`app ${dir}: ${APP_ENTRY} cannot be loaded: ${(e as Error).message}`);
  }
  if (typeof mod.model !== 'function') throw new ConfigError(`app ${dir}: ${APP_ENTRY} exports no model function`);
  return mod as AccordApp;
}

/** The topology app.mjs of `dir` builds for `shape` (plain, canonical JSON), or a ConfigError. */
export async function appTopology(dir: string, shape: AppShape): Promise<Record<string, unknown>> {
  const app = await importApp(dir);
  // Loaded here, not with this module: `accord submit` of a zoo model never loads TF.js.
  const tf = await import('@tensorflow/tfjs');
  try {
    const model = app.model(tf, shape);
    const json = (model as { toJSON?: (u: unknown, b: boolean) => unknown } | undefined)?.toJSON?.(null, false);
    if (!json || typeof json !== 'object') throw new Error('it did not return a TF.js layers model');
    model.dispose();
    // Plain JSON: TF.js's topology may hold undefined fields, which the digest drops anyway.
    return JSON.parse(canonicalJson(json)) as Record<string, unknown>;
  } catch (e) {
    throw new ConfigError(`app ${dir}: model(tf, ${JSON.stringify(shape)}) failed: ${(e as Error).message}`);
  }
}

/**
 * The app in folder `appPath` (relative to `baseDir`) for `data`: bundle, digest and the topology its
 * `model` hook builds. A ConfigError names a missing folder, a bad file, a model hook that throws or
 * returns no layers model.
 */
export async function resolveApp(appPath: string, baseDir: string, data: DataConfig): Promise<ResolvedApp> {
  const dir = path.resolve(baseDir, appPath);
  const files = readAppFolder(dir);
  const topology = await appTopology(dir, appShape(data));
  const digest = appDigest(files);
  const signatures = checkedAppSignatures(dir, digest);
  return {
    model: {
      topology,
      sha256: topologyDigest(topology),
      app: { sha256: digest, ...(signatures.length ? { signatures } : {}) },
    },
    bundle: encodeApp(files),
  };
}
