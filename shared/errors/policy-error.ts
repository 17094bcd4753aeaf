import { AccordError } from './accord-error.js';
import type { CodeOf } from './codes.js';

/**
 * A site refused a task because it breaks the site's own policy. The message names the rule and the
 * experiment's setting (both public), so it is reported to the coordinator as it is.
 */
export class PolicyError extends AccordError {
  static readonly CODE: CodeOf<'policy'> = 'POLICY_REFUSED';
  constructor(message: string, code: CodeOf<'policy'> = PolicyError.CODE) {
    super(code, message, message);
  }
}
