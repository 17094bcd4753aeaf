import { AccordError } from './accord-error.js';
import type { CodeOf } from './codes.js';

/** Where in a site's data a problem is: the only detail that may leave the site. */
export interface DataLocation {
  /** 1-based line of the file. */
  line?: number;
  /** A column name from the experiment's schema (public, unlike cell values and file paths). */
  column?: string;
}

/**
 * A local data file cannot be used with the experiment's data schema. The message may quote the file
 * and the cell; what is reported to the coordinator is the code, the line and the column only.
 */
export class DataError extends AccordError {
  static readonly CODE: CodeOf<'data'> = 'DATA_INVALID';
  constructor(message: string, code: CodeOf<'data'> = DataError.CODE, where: DataLocation = {}) {
    const at = [
      where.line !== undefined ? `line ${where.line}` : '',
      where.column !== undefined ? `column ${where.column}` : '',
    ]
      .filter(Boolean)
      .join(', ');
    super(
      code,
      message,
      `the site's data does not fit the experiment${at ? ` (${at})` : ''}; details are in the site's own log`,
    );
  }
}
