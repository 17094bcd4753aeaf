// What a site may be called: the one rule for Hello, tokens, certificates and the roster.
export const SITE_ID = /^[A-Za-z0-9_.-]{1,64}$/;

/** The rule in words, for error messages. */
export const SITE_RULE = 'site names use letters, digits, _ . - (1-64)';
