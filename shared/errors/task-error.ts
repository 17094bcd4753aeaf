import { AccordError } from './accord-error';

/** A training or evaluation task failed: deadline, disconnect or a worker-side error. */
export class TaskError extends AccordError {
  static readonly CODE = 'TASK_FAILED';
  constructor(message: string, code: string = TaskError.CODE) {
    super(code, message);
  }
}
