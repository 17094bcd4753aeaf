// Durations on the command line: "90s", "15m", "1h", "7d", or a number of milliseconds.
import { ConfigError } from '../shared/errors/index.js';

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** Milliseconds of `text`; a clear error naming `flag` otherwise. */
export function durationMs(text: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text.trim());
  if (!m) throw new ConfigError(`${flag}: expected a duration such as 30m, 1h or 7d, got "${text}"`);
  return Number(m[1]) * UNIT_MS[(m[2] ?? 'ms') as keyof typeof UNIT_MS];
}
