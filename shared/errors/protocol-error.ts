import { AccordError } from './accord-error';
import type { CodeOf } from './codes';

/** A peer sent a message that breaks the wire contract (shape, sequence, size, values). */
export class ProtocolError extends AccordError {
  static readonly CODE: CodeOf<'protocol'> = 'PROTOCOL_VIOLATION';
  constructor(message: string, code: CodeOf<'protocol'> = ProtocolError.CODE) {
    super(code, message);
  }
}
