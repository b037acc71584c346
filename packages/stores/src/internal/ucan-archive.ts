/**
 * UCAN delegations (invocations included) as CAR archives: ucanto's `Delegation.archive` /
 * `Delegation.extract`, the format go-ucanto's `Archive()` / `delegation.Extract` read and write
 * (a CAR whose root is `{ 'ucan@0.9.1': <delegation link> }`).
 */
import { DecodeError, EncodeError } from '@strata/genericstore'
import { Delegation as UcantoDelegation } from '@ucanto/core'
import type { Delegation } from '@ucanto/interface'

/** Codec name reported in errors about archives. */
export const UCAN_ARCHIVE = 'car/ucan-archive'

/**
 * The CAR archive of `delegation`.
 * @param key names the record in the `EncodeError`.
 * @throws {EncodeError} when the delegation cannot be archived.
 */
export async function archiveDelegation(key: string, delegation: Delegation): Promise<Uint8Array> {
  let result: Awaited<ReturnType<typeof UcantoDelegation.archive>>
  try {
    result = await UcantoDelegation.archive(delegation)
  } catch (cause) {
    throw new EncodeError(key, UCAN_ARCHIVE, { cause })
  }
  if (result.error) throw new EncodeError(key, UCAN_ARCHIVE, { cause: result.error })
  return result.ok
}

/**
 * The delegation in a CAR archive, its UCAN decoded (so a malformed token fails here, not later).
 * @param key names the record in the `DecodeError`.
 * @param expected when given, the CID string the archived delegation must have.
 * @throws {DecodeError} when the bytes are not an archive, the token is malformed, or the CID differs.
 */
export async function extractDelegation(
  key: string,
  bytes: Uint8Array,
  expected?: string,
): Promise<Delegation> {
  let delegation: Delegation
  try {
    const result = await UcantoDelegation.extract(bytes)
    if (result.error) throw result.error
    delegation = result.ok
    void delegation.data // decodes (and checks) the UCAN now
  } catch (cause) {
    throw new DecodeError(key, UCAN_ARCHIVE, { cause })
  }
  if (expected !== undefined && delegation.cid.toString() !== expected) {
    const cause = new Error(`the archive holds ${delegation.cid}, not ${expected}`)
    throw new DecodeError(key, UCAN_ARCHIVE, { cause })
  }
  return delegation
}
