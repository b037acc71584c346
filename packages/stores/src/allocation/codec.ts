import { type Codec, dagCborCodec } from '@strata/genericstore'
import type { DID, UnknownLink } from '@ucanto/interface'
import { asLink, asMap, asUint, decodeDid, encodeDid, read } from '../internal/fields.js'
import { type Blob, decodeBlob, encodeBlob } from '../internal/space-blob.js'

/** Space was allocated on this node for a blob, until `expires`. */
export interface Allocation {
  /** The space the blob is allocated for. */
  space: DID
  /** The allocated blob. */
  blob: Blob
  /** Unix time in seconds after which the allocation can no longer be accepted. */
  expires: number
  /** Link to the UCAN invocation that requested the allocation (`blob/allocate`). */
  cause: UnknownLink
}

/**
 * The IPLD form of an {@link Allocation}, Piri's `Allocation` schema:
 * `{ space: DID bytes, blob: { digest: multihash bytes, size: Int }, expires: Int, cause: Link }`.
 * @throws {TypeError} when the value has the wrong shape (a negative size, a non-DID space…).
 */
export function allocationToIPLD(allocation: Allocation): Record<string, unknown> {
  const map = asMap(allocation, 'allocation')
  return {
    space: encodeDid(read(map, 'space') as string, 'allocation.space'),
    blob: encodeBlob(read(map, 'blob') as Blob, 'allocation.blob'),
    expires: asUint(read(map, 'expires'), 'allocation.expires'),
    cause: asLink(read(map, 'cause'), 'allocation.cause'),
  }
}

/**
 * An {@link Allocation} from its IPLD form; unknown fields are ignored.
 * @throws {TypeError} when a field is missing or has the wrong type.
 */
export function allocationFromIPLD(value: unknown): Allocation {
  const map = asMap(value, 'allocation')
  return {
    space: decodeDid(read(map, 'space'), 'allocation.space'),
    blob: decodeBlob(read(map, 'blob'), 'allocation.blob'),
    expires: asUint(read(map, 'expires'), 'allocation.expires'),
    cause: asLink(read(map, 'cause'), 'allocation.cause'),
  }
}

/** DAG-CBOR codec for {@link Allocation} records, byte-compatible with Piri's. */
export const allocationCodec: Codec<Allocation> = (() => {
  const cbor = dagCborCodec<unknown>()
  return {
    name: 'dag-cbor/allocation',
    encode: (allocation) => cbor.encode(allocationToIPLD(allocation)),
    decode: (bytes) => allocationFromIPLD(cbor.decode(bytes)),
  }
})()
