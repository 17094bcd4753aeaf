// How a site's task code answers the coordinator: every message goes through the session, which
// writes it to the audit log first. Errors leave as a code and a message.
import type { WorkerMessage } from '../shared/protocol/load.js';

export interface Outbox {
  /** Sends one message (audited); waits when the stream is full. */
  send(msg: WorkerMessage): Promise<void>;
  /** Reports that task `taskId` failed. */
  sendError(taskId: string, e: unknown): Promise<void>;
}
