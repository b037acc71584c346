export { createApp } from './app.js'
export * from './config/index.js'
export * from './container/index.js'
export {
  badRequest,
  CliError,
  ConfigError,
  HttpError,
  IdentityMissingError,
  OverloadedError,
  UnsafeDataDirError,
  UploadInProgressError,
} from './errors.js'
export { type ConnectionLimits, connectionLimitsOf, openFileLimit } from './http/connection-limits.js'
export * from './http/index.js'
export * from './identity/index.js'
export * from './observability/index.js'
export { startServer } from './server.js'
export { UploadAdmission, type UploadAdmissionOptions } from './upload-admission.js'
export { baseUrlOf } from './url.js'
