// Bounded reading of what a child writes: an app that floods a pipe costs the worker at most a fixed
// amount of memory, and the run is stopped (by the caller, on `over`) once it passes its allowance.

/** Keeps all bytes up to `limit` (the result channel); `over` fires once when more arrive. */
export class Collector {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  private overflowed = false;

  constructor(
    private readonly limit: number,
    private readonly over: () => void,
  ) {}

  push(chunk: Buffer): void {
    if (this.overflowed) return;
    if (this.size + chunk.length > this.limit) {
      this.overflowed = true;
      this.over();
      return;
    }
    this.chunks.push(chunk);
    this.size += chunk.length;
  }

  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

/**
 * Keeps the last `keep` bytes of what is pushed (logs: the end says most, a V8 out-of-memory report is
 * the last thing written) and counts the rest into a `budget` shared by several streams.
 */
export class Tail {
  private buf = Buffer.alloc(0);

  constructor(
    private readonly keep: number,
    private readonly budget: { left: number; over: () => void },
  ) {}

  push(chunk: Buffer): void {
    const wasLeft = this.budget.left;
    this.budget.left -= chunk.length;
    if (wasLeft >= 0 && this.budget.left < 0) this.budget.over();
    const joined = Buffer.concat([this.buf, chunk]);
    this.buf = joined.length > this.keep ? joined.subarray(joined.length - this.keep) : joined;
  }

  text(): string {
    return this.buf.toString('utf8');
  }
}
