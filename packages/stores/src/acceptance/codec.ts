import { type Codec, dagCborCodec } from '@strata/genericstore'
import type { DID, UnknownLink } from '@ucanto/interface'
import { asLink, asMap, asString, asUint, decodeDid, encodeDid, read } from '../internal/fields.js'
import { type Blob, decodeBlob, encodeBlob } from '../internal/space-blob.js'

/** A UCAN promise: the result at `selector` (e.g. `.out.ok`) of the task `link` points to. */
export interface UcanAwait {
  'ucan/await': [selector: string, link: UnknownLink]
}

/** A blob was accepted (stored) on this node for a space. */
export interface Acceptance {
  /** The space the blob was accepted for. */
  space: DID
  /** The accepted blob. */
  blob: Blob
  /** The promise of the `pdp/accept` task's completion, when the node runs PDP. */
  pdpAccept?: UcanAwait
  /** Approximate unix time in seconds at which the `blob/accept` invocation was executed. */
  executedAt: number
  /** Link to the `blob/accept` invocation that requested the acceptance. */
  cause: UnknownLink
}

/**
 * The IPLD form of an {@link Acceptance}, as Piri writes it: `{ space: DID bytes, blob: { digest,
 * size }, pdpAccept?: { 'ucan/await': [String, Link] }, executedAt: Int, cause: Link }`.
 * @throws {TypeError} when the value has the wrong shape (e.g. a negative `executedAt`).
 */
export function acceptanceToIPLD(acceptance: Acceptance): Record<string, unknown> {
  const map = asMap(acceptance, 'acceptance')
  const pdpAccept = read(map, 'pdpAccept')
  return {
    space: encodeDid(read(map, 'space') as string, 'acceptance.space'),
    blob: encodeBlob(read(map, 'blob') as Blob, 'acceptance.blob'),
    ...(pdpAccept === undefined ? {} : { pdpAccept: awaitFromIPLD(pdpAccept, 'acceptance.pdpAccept') }),
    executedAt: asUint(read(map, 'executedAt'), 'acceptance.executedAt'),
    cause: asLink(read(map, 'cause'), 'acceptance.cause'),
  }
}

/**
 * An {@link Acceptance} from its IPLD form; unknown fields are ignored.
 * @throws {TypeError} when a field is missing or has the wrong type; a negative or non-integer
 * `executedAt` included.
 */
export function acceptanceFromIPLD(value: unknown): Acceptance {
  const map = asMap(value, 'acceptance')
  const pdpAccept = read(map, 'pdpAccept')
  return {
    space: decodeDid(read(map, 'space'), 'acceptance.space'),
    blob: decodeBlob(read(map, 'blob'), 'acceptance.blob'),
    ...(pdpAccept === undefined ? {} : { pdpAccept: awaitFromIPLD(pdpAccept, 'acceptance.pdpAccept') }),
    executedAt: asUint(read(map, 'executedAt'), 'acceptance.executedAt'),
    cause: asLink(read(map, 'cause'), 'acceptance.cause'),
  }
}

/** Checks a `{ 'ucan/await': [selector, link] }` promise (the same shape in IPLD and in memory). */
function awaitFromIPLD(value: unknown, field: string): UcanAwait {
  const awaited = read(asMap(value, field), 'ucan/await')
  if (!Array.isArray(awaited) || awaited.length !== 2) {
    throw new TypeError(`${field}['ucan/await']: expected [selector, link]`)
  }
  return {
    'ucan/await': [
      asString(awaited[0], `${field}['ucan/await'][0]`),
      asLink(awaited[1], `${field}['ucan/await'][1]`),
    ],
  }
}

/** DAG-CBOR codec for {@link Acceptance} records, byte-compatible with Piri's. */
export const acceptanceCodec: Codec<Acceptance> = (() => {
  const cbor = dagCborCodec<unknown>()
  return {
    name: 'dag-cbor/acceptance',
    encode: (acceptance) => cbor.encode(acceptanceToIPLD(acceptance)),
    decode: (bytes) => acceptanceFromIPLD(cbor.decode(bytes)),
  }
})()
