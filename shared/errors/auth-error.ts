import { AccordError } from './accord-error.js';
import type { CodeOf } from './codes.js';

/** A worker presented an unknown site or a wrong token. */
export class AuthError extends AccordError {
  static readonly CODE: CodeOf<'auth'> = 'UNAUTHENTICATED';
  constructor(message: string, code: CodeOf<'auth'> = AuthError.CODE) {
    super(code, message);
  }
}
