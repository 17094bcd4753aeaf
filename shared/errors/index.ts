// Error classes, one per file, each with a stable code.
export { AccordError } from './accord-error';
export { AuthError } from './auth-error';
export { ERROR_CODES, type ErrorCode, isErrorCode } from './codes';
export { ConfigError } from './config-error';
export { DataError } from './data-error';
export { DependencyError } from './dependency-error';
export { PolicyError } from './policy-error';
export { ProtocolError } from './protocol-error';
export { TaskError } from './task-error';
