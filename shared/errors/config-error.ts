import { AccordError } from './accord-error';

/** An experiment config, a CLI flag or a tokens file is invalid; the message names the field. */
export class ConfigError extends AccordError {
  static readonly CODE = 'CONFIG_INVALID';
  constructor(message: string, code: string = ConfigError.CODE) {
    super(code, message);
  }
}
