import { AccordError } from './accord-error.js';
import type { CodeOf, ErrorCode } from './codes.js';

/**
 * A training or evaluation task failed: deadline, disconnect or a worker-side error. A failure a site
 * reports keeps the site's own code (any ErrorCode), so the reason survives the hop.
 */
export class TaskError extends AccordError {
  static readonly CODE: CodeOf<'task'> = 'TASK_FAILED';
  constructor(message: string, code: ErrorCode = TaskError.CODE) {
    super(code, message);
  }
}
