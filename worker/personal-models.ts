// A site's personal models (personalization): what it keeps between rounds (FedPer/FedRep's head,
// Ditto's personal weights) and the personal model it exports after each evaluation. All of it
// stays in the site's folder; nothing here is sent.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import type { DataConfig } from '../shared/config/schema.js';
import { writeFileAtomic } from '../shared/files/atomic.js';
import { saveModel } from '../shared/models/export.js';

/** Experiment ids are file-name safe (shared/trust/manifest.ts); a stray one is made safe here too. */
const safe = (id: string) => id.replace(/[^\w.:-]/g, '_');

export class PersonalModels {
  private readonly state = new Map<string, Float32Array>();
  private root: string | undefined;

  /** `dir`: the site's folder for them; without one, a temporary folder made on first use. */
  constructor(
    private readonly dir: string | undefined,
    private readonly site: string,
  ) {}

  /** The folder of experiment `id`'s personal state and model. */
  folder(id: string): string {
    this.root ??=
      this.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), `accord-personal-${this.site.replace(/[^\w.-]/g, '_')}-`));
    return path.join(this.root, safe(id));
  }

  /** The values kept for experiment `id` (memory, else the site's folder), if of `length`. */
  get(id: string, length: number): Float32Array | undefined {
    let v = this.state.get(id);
    if (!v) {
      const file = path.join(this.folder(id), 'state.f32');
      if (fs.existsSync(file)) {
        const b = fs.readFileSync(file);
        v = new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
        this.state.set(id, v);
      }
    }
    // Another model under the same id (cannot happen with approved terms) starts afresh.
    return v && v.length === length ? v : undefined;
  }

  /** Keeps `values` for experiment `id`, in memory and in the site's folder (a restart keeps them). */
  set(id: string, values: Float32Array): void {
    const copy = values.slice();
    this.state.set(id, copy);
    writeFileAtomic(path.join(this.folder(id), 'state.f32'), new Uint8Array(copy.buffer));
  }

  /** Writes `model`, holding experiment `id`'s personal weights, as a TF.js layers model (model.json + weights.bin). */
  async export(id: string, data: DataConfig, model: tf.LayersModel): Promise<string> {
    const dir = path.join(this.folder(id), 'model');
    await saveModel(model, { data }, dir);
    return dir;
  }
}
