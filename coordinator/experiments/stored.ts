// Reading Accord's own records back from Redis: each is parsed with its zod schema, never cast, so a
// record written by another version (or damaged) is an error that names it instead of a wrong value.
import { z } from 'zod';
import { formatIssues } from '../../shared/config/load.js';
import { ConfigError } from '../../shared/errors/index.js';

/** Parses JSON text inside a record field; a bad value is reported by the schema, naming the field. */
export const jsonText = z.string().transform((text, ctx) => {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    ctx.addIssue({ code: 'custom', message: 'is not valid JSON' });
    return z.NEVER;
  }
});

/** Parses a stored value with `schema`; a record that does not parse is an error naming where it is. */
export function parseStored<T>(schema: z.ZodType<T>, raw: unknown, where: string): T {
  const r = schema.safeParse(raw);
  if (!r.success)
    throw new ConfigError(`stored ${where} is invalid: ${formatIssues(r.error.issues)}`, 'STORED_RECORD_INVALID');
  return r.data;
}
