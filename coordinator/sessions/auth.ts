// Site identities: which sites may connect and with which token. Comparisons are constant-time.
import crypto from 'node:crypto';
import fs from 'node:fs';
import YAML from 'yaml';
import { z } from 'zod';
import { AuthError, ConfigError } from '../../shared/errors';

const tokensFileSchema = z.record(
  z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'site names use letters, digits, _ . -'),
  z.string().min(8, 'tokens need at least 8 characters'),
);

function digest(s: string): Buffer {
  return crypto.createHash('sha256').update(s).digest();
}

export class TokenBook {
  private constructor(
    private readonly perSite: Map<string, Buffer>,
    private readonly shared: Buffer | undefined,
  ) {}

  /** A YAML or JSON mapping `site: token`. */
  static fromFile(file: string): TokenBook {
    let raw: unknown;
    try {
      raw = YAML.parse(fs.readFileSync(file, 'utf8'));
    } catch (e) {
      throw new ConfigError(`${file}: cannot read tokens: ${(e as Error).message}`);
    }
    const r = tokensFileSchema.safeParse(raw);
    if (!r.success)
      throw new ConfigError(
        `${file}: ${r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`,
      );
    return new TokenBook(new Map(Object.entries(r.data).map(([s, t]) => [s, digest(t)])), undefined);
  }

  static fromMap(map: Record<string, string>): TokenBook {
    return new TokenBook(new Map(Object.entries(map).map(([s, t]) => [s, digest(t)])), undefined);
  }

  /** One federation-wide token: any site name is accepted with it. */
  static shared(token: string): TokenBook {
    if (token.length < 8) throw new ConfigError('--token: tokens need at least 8 characters');
    return new TokenBook(new Map(), digest(token));
  }

  /** Throws AuthError for an unknown site or a wrong token. */
  check(site: string, token: string): void {
    const expected = this.perSite.get(site) ?? this.shared;
    if (!expected) throw new AuthError(`unknown site "${site}"`, 'UNKNOWN_SITE');
    if (!crypto.timingSafeEqual(expected, digest(token)))
      throw new AuthError(`wrong token for site "${site}"`, 'BAD_TOKEN');
  }
}
