import { describe, expect, it } from 'vitest';
import { runGated, TaskGate } from '../../worker/gate.js';

describe('the task gate of a simulated pool', () => {
  it("runs a straggler's delayed send after releasing the gate, so the pool's next task goes on", async () => {
    const gate = new TaskGate();
    const order: string[] = [];
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const straggler = runGated(gate, async () => {
      order.push('straggler trained');
      return async () => {
        await held;
        order.push('straggler sent');
      };
    });
    await runGated(gate, async () => {
      order.push('other site trained');
    });
    expect(order).toEqual(['straggler trained', 'other site trained']);
    release();
    await straggler;
    expect(order).toEqual(['straggler trained', 'other site trained', 'straggler sent']);
  });

  it('runs a task without a gate, and its delayed part after it', async () => {
    const order: string[] = [];
    await runGated(undefined, async () => {
      order.push('trained');
      return async () => void order.push('sent');
    });
    expect(order).toEqual(['trained', 'sent']);
  });
});
