// Canonical JSON: object keys sorted, no whitespace, so one document has exactly one byte form and one
// hash, whichever side or language wrote it. Used for manifests, approvals and audit entries.
import crypto from 'node:crypto';

/** The canonical text of a JSON value (undefined fields dropped, as JSON.stringify does). */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map((x) => (x === undefined ? null : sortKeys(x)));
  if (v && typeof v === 'object' && !(v instanceof Uint8Array)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      // JSON.parse makes "__proto__" an own key, but assigning it would drop it from the canonical form.
      if (k === '__proto__') throw new TypeError('a "__proto__" key has no canonical form');
      const x = (v as Record<string, unknown>)[k];
      if (x !== undefined) out[k] = sortKeys(x);
    }
    return out;
  }
  return v;
}

/** SHA-256 (hex) of a value's canonical JSON. */
export function canonicalHash(value: unknown): string {
  return sha256Hex(canonicalJson(value));
}

export function sha256Hex(data: string | Uint8Array): string {
  return crypto.createHash('sha256').update(data).digest('hex');
}
