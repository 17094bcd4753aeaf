// Error classes, one per file, each with a stable code.
export { AccordError } from './accord-error.js';
export { AuthError } from './auth-error.js';
export { ERROR_CODES, type ErrorCode, isErrorCode } from './codes.js';
export { ConfigError } from './config-error.js';
export { DataError } from './data-error.js';
export { DependencyError } from './dependency-error.js';
export { PolicyError } from './policy-error.js';
export { ProtocolError } from './protocol-error.js';
export { type SandboxDetails, SandboxError } from './sandbox-error.js';
export { TaskError } from './task-error.js';
export { TrustError } from './trust-error.js';
