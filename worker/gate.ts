// One task at a time across every site of a process, with a turn of the event loop between tasks.
// A simulation pool hosts thousands of sites in one process: their tasks, run concurrently, interleave
// through chains of resolved promises that never let a timer fire, so heartbeats go out late and the
// coordinator drops the sites. Serialising them (and yielding between them) keeps heartbeats on time.
export class TaskGate {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(job: () => Promise<T>): Promise<T> {
    const turn = this.tail.then(() => new Promise<void>((resolve) => setImmediate(resolve))).then(job);
    this.tail = turn.catch(() => undefined);
    return turn;
  }
}

/**
 * Runs `job` through `gate` (when there is one). A function the job returns (a straggler's delayed
 * send) runs after the gate is released, so the pool's other sites go on while this one waits.
 */
export async function runGated(gate: TaskGate | undefined, job: () => Promise<unknown>): Promise<void> {
  const later = await (gate ? gate.run(job) : job());
  if (typeof later === 'function') await (later as () => Promise<unknown>)();
}
