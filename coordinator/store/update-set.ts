// Every spooled update of a round as an UpdateSet: robust strategies read the same block of
// coordinates from each file, so memory stays O(sites x block).
import fs from 'node:fs';
import type { UpdateSet } from '../strategies/strategy.js';

export class SpoolUpdateSet implements UpdateSet {
  constructor(
    readonly files: string[],
    readonly length: number,
  ) {}
  get count(): number {
    return this.files.length;
  }
  *blocks(size = 64 * 1024): Iterable<{ offset: number; rows: Float32Array[] }> {
    const fds = this.files.map((f) => fs.openSync(f, 'r'));
    try {
      for (let offset = 0; offset < this.length; offset += size) {
        const len = Math.min(size, this.length - offset);
        const rows = fds.map((fd) => {
          const row = new Float32Array(len);
          const n = fs.readSync(fd, new Uint8Array(row.buffer), 0, len * 4, offset * 4);
          if (n !== len * 4) throw new Error(`spooled update is short: ${n} of ${len * 4} bytes at ${offset}`);
          return row;
        });
        yield { offset, rows };
      }
    } finally {
      for (const fd of fds) fs.closeSync(fd);
    }
  }
}
