import { AccordError } from './accord-error.js';
import type { CodeOf } from './codes.js';

/**
 * A peer sent a message that breaks the wire contract (shape, sequence, size, values). Built from
 * what crossed the wire, never from local data, so its message may be reported back as it is.
 */
export class ProtocolError extends AccordError {
  static readonly CODE: CodeOf<'protocol'> = 'PROTOCOL_VIOLATION';
  constructor(message: string, code: CodeOf<'protocol'> = ProtocolError.CODE) {
    super(code, message, message);
  }
}
