import { type Codec, dagCborCodec } from '@strata/genericstore'
import type { UnknownLink } from '@ucanto/interface'
import { asBytes, asLink, asMap, read } from '../internal/fields.js'

/**
 * A consolidation as stored (Piri's IPLD form): the `space/egress/track` invocation as the bytes
 * of its CAR archive, and the link to the `space/egress/consolidate` invocation.
 */
export interface ConsolidationRecord {
  /** CAR archive of the track invocation (`Delegation.archive`). */
  trackInvocation: Uint8Array
  /** CID of the consolidate invocation from the track receipt's fork effect. */
  consolidateInvocationCID: UnknownLink
}

/**
 * Checks a decoded (or to-be-encoded) {@link ConsolidationRecord}; unknown fields are dropped.
 * @throws {TypeError} when a field is missing or has the wrong type.
 */
export function consolidationRecordFromIPLD(value: unknown): ConsolidationRecord {
  const map = asMap(value, 'consolidation')
  return {
    trackInvocation: asBytes(read(map, 'trackInvocation'), 'consolidation.trackInvocation'),
    consolidateInvocationCID: asLink(
      read(map, 'consolidateInvocationCID'),
      'consolidation.consolidateInvocationCID',
    ),
  }
}

/**
 * DAG-CBOR codec for {@link ConsolidationRecord}s, byte-compatible with Piri's:
 * `{ trackInvocation: Bytes, consolidateInvocationCID: Link }`.
 */
export const consolidationRecordCodec: Codec<ConsolidationRecord> = (() => {
  const cbor = dagCborCodec<unknown>()
  return {
    name: 'dag-cbor/consolidation',
    encode: (record) => cbor.encode(consolidationRecordFromIPLD(record)),
    decode: (bytes) => consolidationRecordFromIPLD(cbor.decode(bytes)),
  }
})()
