// The site's approvals, kept beside the worker (`--approvals DIR`): approved/<hash>.json holds a
// signed approval with the manifest it approves; pending/<hash>.json a manifest waiting for a person
// (`accord approve DIR/pending/<hash>.json`). Without a directory they live in memory (tests, pools).
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { type Approval, approvalSchema } from '../shared/trust/approval.js';
import type { SignedTerms } from '../shared/trust/manifest.js';

const approvedFileSchema = z.object({ approval: approvalSchema, manifest: z.unknown() });

export class ApprovalStore {
  private readonly byHash = new Map<string, Approval>();

  constructor(readonly dir: string | undefined) {
    if (dir) fs.mkdirSync(path.join(dir, 'approved'), { recursive: true, mode: 0o700 });
  }

  /** The site's approval of manifest `hash`, read fresh from disk (a person may just have approved it). */
  approved(hash: string): Approval | undefined {
    const mem = this.byHash.get(hash);
    if (mem || !this.dir) return mem;
    const file = this.approvedFile(hash);
    if (!fs.existsSync(file)) return undefined;
    const r = approvedFileSchema.safeParse(JSON.parse(fs.readFileSync(file, 'utf8')));
    if (!r.success || r.data.approval.manifestHash !== hash) return undefined;
    this.byHash.set(hash, r.data.approval);
    return r.data.approval;
  }

  /** The manifest hash this site approved for `experimentId`, if any (one per experiment). */
  approvedFor(experimentId: string): string | undefined {
    for (const a of this.byHash.values()) if (a.experimentId === experimentId) return a.manifestHash;
    if (!this.dir) return undefined;
    for (const f of fs.readdirSync(path.join(this.dir, 'approved'))) {
      const hash = f.replace(/\.json$/, '');
      if (this.approved(hash)?.experimentId === experimentId) return hash;
    }
    return undefined;
  }

  save(approval: Approval, terms: SignedTerms): void {
    this.byHash.set(approval.manifestHash, approval);
    if (!this.dir) return;
    const body = `${JSON.stringify({ approval, manifest: terms.manifest }, null, 2)}\n`;
    fs.writeFileSync(this.approvedFile(approval.manifestHash), body, { mode: 0o600 });
    fs.rmSync(this.pendingFile(approval.manifestHash), { force: true });
  }

  /** Keeps a manifest for a person to review; returns the file (undefined without a directory). */
  savePending(terms: SignedTerms): string | undefined {
    if (!this.dir) return undefined;
    const file = this.pendingFile(terms.hash);
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    if (!fs.existsSync(file)) fs.writeFileSync(file, `${JSON.stringify(terms.manifest, null, 2)}\n`);
    return file;
  }

  approvedFile(hash: string): string {
    return path.join(this.dir ?? '.', 'approved', `${hash}.json`);
  }

  pendingFile(hash: string): string {
    return path.join(this.dir ?? '.', 'pending', `${hash}.json`);
  }
}
