import { AccordError } from './accord-error';

/** A peer sent a message that breaks the wire contract (shape, sequence, size, values). */
export class ProtocolError extends AccordError {
  static readonly CODE = 'PROTOCOL_VIOLATION';
  constructor(message: string, code: string = ProtocolError.CODE) {
    super(code, message);
  }
}
