import { AccordError } from './accord-error';

/** A local data file cannot be used with the experiment's data schema. */
export class DataError extends AccordError {
  static readonly CODE = 'DATA_INVALID';
  constructor(message: string, code: string = DataError.CODE) {
    super(code, message);
  }
}
