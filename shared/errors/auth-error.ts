import { AccordError } from './accord-error';

/** A worker presented an unknown site or a wrong token. */
export class AuthError extends AccordError {
  static readonly CODE = 'UNAUTHENTICATED';
  constructor(message: string, code: string = AuthError.CODE) {
    super(code, message);
  }
}
