// A custom model travels by value: `model.path` (a TF.js layers model.json) is read where the experiment
// is submitted or simulated and replaced by its topology and the topology's SHA-256. The coordinator
// stores it with the experiment, the manifest every site approves carries it (so the hash is part of
// what a site approves, and a policy can allow a model by that hash), and each site builds the model
// from it: no site needs the file, or the submitter's paths. Weights are not taken from the file: the
// initial model is made from the experiment's seed (zoo.ts), identically at the coordinator and every site.
import fs from 'node:fs';
import path from 'node:path';
import type { ExperimentConfig, ModelConfig } from '../config/schema.js';
import { ConfigError } from '../errors/index.js';
import { canonicalHash } from '../trust/canonical.js';

/** The SHA-256 of a topology's canonical JSON (key order does not matter). */
export function topologyDigest(topology: Record<string, unknown>): string {
  return canonicalHash(topology);
}

/** The topology in a model.json file (its `modelTopology`, or the whole file when that is one). */
export function readTopology(file: string): Record<string, unknown> {
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ConfigError(
      `model.path: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
  const topology = (json as { modelTopology?: unknown }).modelTopology ?? json;
  if (!topology || typeof topology !== 'object' || Array.isArray(topology))
    throw new ConfigError(`model.path: ${file} holds no TF.js layers topology (modelTopology)`);
  return topology as Record<string, unknown>;
}

/** `model` with a `path` (read from `baseDir`) replaced by its topology and digest; others as they are. */
export function inlineModel(model: ModelConfig, baseDir: string): ModelConfig {
  // An app folder is read where the experiment is submitted (shared/apps/resolve.ts): made absolute here.
  if ('app' in model && typeof model.app === 'string') return { app: path.resolve(baseDir, model.app) };
  if (!('path' in model)) return model;
  const topology = readTopology(path.resolve(baseDir, model.path));
  return { topology, sha256: topologyDigest(topology) };
}

/** The experiment with its model by value (see inlineModel). */
export function withInlineModel<C extends Pick<ExperimentConfig, 'model'>>(config: C, baseDir: string): C {
  return 'path' in config.model ? { ...config, model: inlineModel(config.model, baseDir) } : config;
}

/** The app a model by value comes from (its digest and reviewers' signatures), or undefined. */
export function appOfModel(model: ModelConfig): Extract<ModelConfig, { topology: unknown }>['app'] {
  return 'topology' in model ? model.app : undefined;
}

/** How a model is named to people and in site policies: the zoo name, or sha256:<hash> of a custom one. */
export function modelLabel(model: ModelConfig): string {
  if ('zoo' in model) return model.zoo;
  if ('sha256' in model) return model.app ? `app sha256:${model.app.sha256}` : `sha256:${model.sha256}`;
  if ('app' in model) return `app ${model.app}`;
  return `file ${model.path}`;
}
