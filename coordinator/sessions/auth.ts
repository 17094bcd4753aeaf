// Site identities: which sites may connect and with which token. Comparisons are constant-time.
import crypto from 'node:crypto';
import fs from 'node:fs';
import { z } from 'zod';
import { parseYaml } from '../../shared/config/yaml.js';
import { AuthError, ConfigError } from '../../shared/errors/index.js';
import { SITE_ID } from '../../shared/protocol/site-id.js';

const tokensFileSchema = z.record(
  z.string().regex(SITE_ID, 'site names use letters, digits, _ . -'),
  z.string().min(8, 'tokens need at least 8 characters'),
);

function digest(s: string): Buffer {
  return crypto.createHash('sha256').update(s).digest();
}

/** Compared against when the site is unknown, so both refusals cost the same. */
const NO_SITE = digest('accord: no such site');

/** One token per site: a token proves one site's identity, never another's. */
export class TokenBook {
  private constructor(private readonly perSite: Map<string, Buffer>) {}

  /** A YAML or JSON mapping `site: token`. */
  static fromFile(file: string): TokenBook {
    let raw: unknown;
    try {
      raw = parseYaml(fs.readFileSync(file, 'utf8'));
    } catch (e) {
      throw new ConfigError(`${file}: cannot read tokens: ${(e as Error).message}`);
    }
    const r = tokensFileSchema.safeParse(raw);
    if (!r.success)
      throw new ConfigError(
        `${file}: ${r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`,
      );
    return TokenBook.fromMap(r.data);
  }

  static fromMap(map: Record<string, string>): TokenBook {
    const tokens = Object.values(map);
    if (new Set(tokens).size !== tokens.length) throw new ConfigError('tokens: each site needs its own token');
    return new TokenBook(new Map(Object.entries(map).map(([s, t]) => [s, digest(t)])));
  }

  /**
   * Throws AuthError for an unknown site or a wrong token, with the same message and code for both:
   * a stranger learns nothing about which site names exist.
   */
  check(site: string, token: string): void {
    const expected = this.perSite.get(site);
    const match = crypto.timingSafeEqual(expected ?? NO_SITE, digest(token));
    if (!expected || !match) throw new AuthError(`unknown site or wrong token for site "${site}"`);
  }
}
