import { AccordError } from './accord-error.js';
import type { CodeOf } from './codes.js';

/**
 * A site refused what it cannot verify or did not agree to. The message names the rule and public
 * protocol facts only (sites, hashes, counts), never the site's data, so it leaves as it is.
 */
export class TrustError extends AccordError {
  /** `publicMessage` when the full message names something local (a path): only that one leaves. */
  constructor(code: CodeOf<'trust'>, message: string, publicMessage: string = message) {
    super(code, message, publicMessage);
  }
}
