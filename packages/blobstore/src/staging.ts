/**
 * Staging keys: where `add` writes content before its digest is known. The key carries its
 * creation time, so a sweep can tell an abandoned staging object from one still being written
 * (by this process or another instance sharing the bucket) without reading it.
 * @packageDocumentation
 */
import { randomBytes } from 'node:crypto'

/** The prefix of every staging key (valid on every backend, flatfs included). */
export const STAGING_PREFIX = 'staging-'

/** A fresh staging key: `staging-<ms since epoch, base36>-<16 hex random>`. */
export function stagingKey(now = Date.now()): string {
  return `${STAGING_PREFIX}${now.toString(36)}-${randomBytes(8).toString('hex')}`
}

/** When a staging key was made, or `undefined` when `key` is not one. */
export function stagedAt(key: string): Date | undefined {
  const match = /^staging-([0-9a-z]+)-[0-9a-f]{16}$/.exec(key)
  if (match?.[1] === undefined) return undefined
  const ms = Number.parseInt(match[1], 36)
  return Number.isSafeInteger(ms) ? new Date(ms) : undefined
}
