import { AccordError } from './accord-error.js';
import type { CodeOf } from './codes.js';

/** An experiment config, a CLI flag or a tokens file is invalid; the message names the field. */
export class ConfigError extends AccordError {
  static readonly CODE: CodeOf<'config'> = 'CONFIG_INVALID';
  constructor(message: string, code: CodeOf<'config'> = ConfigError.CODE) {
    super(code, message);
  }
}
