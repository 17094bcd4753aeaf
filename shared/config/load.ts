// Reading and validating experiment configs; errors name the file and the field.
import fs from 'node:fs';
import YAML from 'yaml';
import type { z } from 'zod';
import { ConfigError } from '../errors/index.js';
import { type ExperimentConfig, experimentSchema } from './schema.js';

export function formatIssues(issues: z.core.$ZodIssue[]): string {
  return issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`).join('; ');
}

/** Validates a parsed object; `source` names where it came from in the error. */
export function parseExperiment(raw: unknown, source = 'config'): ExperimentConfig {
  const r = experimentSchema.safeParse(raw);
  if (!r.success) throw new ConfigError(`${source}: ${formatIssues(r.error.issues)}`);
  return r.data;
}

export function parseExperimentYaml(text: string, source = 'config'): ExperimentConfig {
  let raw: unknown;
  try {
    raw = YAML.parse(text, { prettyErrors: true });
  } catch (e) {
    throw new ConfigError(`${source}: not valid YAML: ${(e as Error).message}`);
  }
  if (raw === null || typeof raw !== 'object') throw new ConfigError(`${source}: expected a mapping of settings`);
  return parseExperiment(raw, source);
}

export function loadExperimentFile(file: string): ExperimentConfig {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(`${file}: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return parseExperimentYaml(text, file);
}
