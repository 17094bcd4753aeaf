// Global models arriving for train and evaluate tasks: a task's header comes first, then its model
// in chunks; the task is ready once every chunk arrived in order. A task stays here until it has run,
// so a Cancel from the coordinator reaches it while it waits or trains.
import { ChunkReceiver } from '../shared/protocol/chunks.js';
import type { ModelChunk__Output, TaskHeader__Output } from '../shared/protocol/load.js';
import { copyF32Bytes } from '../shared/tensors/bytes.js';
import { totalSize } from '../shared/tensors/weights.js';
import type { ModelTask } from './task-context.js';

interface Incoming extends ModelTask {
  receiver: ChunkReceiver;
}

export class IncomingModels {
  private readonly tasks = new Map<string, Incoming>();

  start(kind: ModelTask['kind'], header: TaskHeader__Output): void {
    const specs = header.tensors.map((t) => ({ name: t.name, shape: [...t.shape] }));
    const values = new Float32Array(totalSize(specs));
    const receiver = new ChunkReceiver(values.length, (bytes, off) => copyF32Bytes(values, bytes, off), 'global model');
    this.tasks.set(header.taskId, { kind, header, specs, values, cancelled: false, receiver });
  }

  /** Takes one chunk; returns the task when its model is complete. A bad chunk drops the task and throws. */
  accept(chunk: ModelChunk__Output): ModelTask | undefined {
    const task = this.tasks.get(chunk.taskId);
    if (!task) return undefined;
    try {
      task.receiver.accept(chunk);
    } catch (e) {
      this.tasks.delete(chunk.taskId);
      throw e;
    }
    return task.receiver.complete ? task : undefined;
  }

  /** Marks a task cancelled; it will not run, or stops before it sends its update. */
  cancel(taskId: string): void {
    const task = this.tasks.get(taskId);
    if (task) task.cancelled = true;
  }

  /** The task ran (or was dropped). */
  done(taskId: string): void {
    this.tasks.delete(taskId);
  }

  /** The connection dropped: models in flight will be sent again with new tasks. */
  clear(): void {
    this.tasks.clear();
  }
}
