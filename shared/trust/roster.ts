// The federation's roster: site name -> identity public key. The consortium distributes it and every
// site pins its own copy (`accord worker --roster FILE`); it is never learned from the coordinator.
// A manifest names the roster by hash, so a site approves only experiments among the sites it knows.
import fs from 'node:fs';
import YAML from 'yaml';
import { z } from 'zod';
import { formatIssues } from '../config/load.js';
import { parseYaml } from '../config/yaml.js';
import { TrustError } from '../errors/index.js';
import { SITE_ID } from '../protocol/site-id.js';
import { canonicalHash } from './canonical.js';
import { parsePublicKey, publicKeyText } from './identity.js';

const rosterFileSchema = z
  .object({
    /** Site name -> `ed25519:<base64 of the 32-byte public key>`. */
    sites: z.record(z.string().regex(SITE_ID, 'site names are letters, digits, _ . - (at most 64)'), z.string()),
  })
  .strict();

export class Roster {
  /** Computed once: every task's check compares it, and a roster may list 100,000 sites. */
  private hashMemo: string | undefined;

  private constructor(private readonly keys: ReadonlyMap<string, Buffer>) {}

  static fromKeys(keys: Record<string, Uint8Array>): Roster {
    return new Roster(new Map(Object.entries(keys).map(([s, k]) => [s, Buffer.from(k)])));
  }

  /** Parses a roster document; `source` names it in errors. */
  static parse(raw: unknown, source = 'roster'): Roster {
    const r = rosterFileSchema.safeParse(raw);
    if (!r.success) throw new TrustError('BAD_ROSTER', `${source}: ${formatIssues(r.error.issues)}`);
    const keys = new Map<string, Buffer>();
    const seen = new Map<string, string>();
    for (const [site, text] of Object.entries(r.data.sites)) {
      const k = parsePublicKey(text);
      if (!k) throw new TrustError('BAD_ROSTER', `${source}: sites.${site}: expected ed25519:<base64 of 32 bytes>`);
      const other = seen.get(k.toString('hex'));
      // One key for two names would let one site count twice toward every quorum.
      if (other) throw new TrustError('BAD_ROSTER', `${source}: ${site} and ${other} share one public key`);
      seen.set(k.toString('hex'), site);
      keys.set(site, k);
    }
    if (keys.size === 0) throw new TrustError('BAD_ROSTER', `${source}: lists no site`);
    return new Roster(keys);
  }

  static load(file: string): Roster {
    let raw: unknown;
    try {
      raw = parseYaml(fs.readFileSync(file, 'utf8'));
    } catch (e) {
      throw new TrustError(
        'BAD_ROSTER',
        `roster ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      );
    }
    return Roster.parse(raw, `roster ${file}`);
  }

  /** The site's public key, or undefined when the site is not on the roster. */
  keyOf(site: string): Buffer | undefined {
    return this.keys.get(site);
  }

  get sites(): string[] {
    return [...this.keys.keys()].sort();
  }

  /** The roster as its file holds it (and as reports carry it). */
  toJSON(): { sites: Record<string, string> } {
    return { sites: Object.fromEntries(this.sites.map((s) => [s, publicKeyText(this.keys.get(s)!)])) };
  }

  toYaml(): string {
    return `# Accord federation roster: each site's identity public key (accord identity).\n${YAML.stringify(this.toJSON())}`;
  }

  /** SHA-256 of the canonical roster: what a manifest names. */
  get hash(): string {
    this.hashMemo ??= canonicalHash(this.toJSON());
    return this.hashMemo;
  }
}
