import { AccordError } from './accord-error';

/** A program or package Accord needs is not installed; the message says how to install it. */
export class DependencyError extends AccordError {
  static readonly CODE = 'DEPENDENCY_MISSING';
  constructor(message: string, code: string = DependencyError.CODE) {
    super(code, message);
  }
}
