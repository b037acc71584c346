/**
 * Repository-only test support for strata's own suites: the local S3 server's settings and
 * buckets, temporary LevelDB stores, and running a built package from a plain Node script. Not
 * published; the conformance suites a user's backend runs live in each package's `./testing`.
 * @packageDocumentation
 */
export * from './child-server.js'
export * from './level.js'
export * from './plain-node.js'
export * from './s3.js'
