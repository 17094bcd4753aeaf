import { AccordError } from './accord-error';
import type { CodeOf } from './codes';

/** A local data file cannot be used with the experiment's data schema. */
export class DataError extends AccordError {
  static readonly CODE: CodeOf<'data'> = 'DATA_INVALID';
  constructor(message: string, code: CodeOf<'data'> = DataError.CODE) {
    super(code, message);
  }
}
