import { AccordError } from './accord-error.js';
import type { CodeOf } from './codes.js';

/** A program or package Accord needs is not installed; the message says how to install it. */
export class DependencyError extends AccordError {
  static readonly CODE: CodeOf<'dependency'> = 'DEPENDENCY_MISSING';
  constructor(message: string, code: CodeOf<'dependency'> = DependencyError.CODE) {
    super(code, message);
  }
}
