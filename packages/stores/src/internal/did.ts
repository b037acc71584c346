/**
 * DIDs as owners: `did:<method>:<method-specific id>` (W3C DID Core syntax: the id is idchars —
 * letters, digits, `.`, `-`, `_`, percent-escapes — and `:`; it does not end in `:`), at most 512
 * characters. Such a DID has no `/`, so it is one key segment on every backend.
 * @packageDocumentation
 */
import { InvalidDidError } from '../errors.js'

/** The longest DID accepted as an owner, in characters. */
export const MAX_DID_LENGTH = 512

const DID = /^did:[a-z0-9]+:(?:[A-Za-z0-9._-]|%[0-9A-Fa-f]{2}|:)*(?:[A-Za-z0-9._-]|%[0-9A-Fa-f]{2})$/

/** Answers `did` when it is a DID. @throws {InvalidDidError} */
export function checkDid(did: string): string {
  if (typeof did !== 'string' || did.length > MAX_DID_LENGTH || !DID.test(did)) {
    throw new InvalidDidError(String(did))
  }
  return did
}
