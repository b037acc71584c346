/**
 * What the block-index backends share: names of multihashes (lowercase unpadded base32, valid
 * keys on every backend), the S3 entry key (`<block>/<blob>.<offset>.<length>`), the LevelDB value
 * (two varints: offset, length), and batching of entry streams.
 * @packageDocumentation
 */
import { Base32KeyEncoder } from '@strata/blobstore'
import { varint } from 'multiformats'
import type { MultihashDigest } from 'multiformats/hashes/interface'
import type { BlockLocation, Entries } from './contract.js'

const base32 = new Base32KeyEncoder()

/** The base32 name of a multihash (`ciq…` for sha2-256): the blob store's `Base32KeyEncoder` form. */
export function nameOf(digest: MultihashDigest): string {
  return base32.encode(digest)
}

/** The multihash a base32 name stands for. @throws {InvalidKeyError} */
export function digestOfName(name: string): MultihashDigest {
  return base32.decode(name)
}

/** The key prefix of every entry of `block`: `<block>/`. */
export function blockPrefix(block: MultihashDigest): string {
  return `${nameOf(block)}/`
}

let lastBlob: { digest: MultihashDigest; name: string } | undefined

/** A blob's base32 name, kept for the next call: the entries of one CAR all name the same blob. */
function blobName(blob: MultihashDigest): string {
  if (lastBlob?.digest !== blob) lastBlob = { digest: blob, name: nameOf(blob) }
  return lastBlob.name
}

/** The key prefix of the entries of `block` in `blob`: `<block>/<blob>.`. */
export function entryPrefix(block: MultihashDigest, blob: MultihashDigest): string {
  return `${nameOf(block)}/${blobName(blob)}.`
}

/**
 * An entry's key with its location in it: `<block>/<blob>.<offset>.<length>` (decimal), so a
 * lookup is one listing and needs no value.
 */
export function locationKey(block: MultihashDigest, location: BlockLocation): string {
  return `${entryPrefix(block, location.blob)}${location.offset}.${location.length}`
}

const LOCATION_NAME = /^([a-z2-7]+)\.(0|[1-9]\d{0,15})\.(0|[1-9]\d{0,15})$/

/**
 * The location in the last part of a {@link locationKey} (`<blob>.<offset>.<length>`), or
 * `undefined` when `name` is not one (a foreign object in the bucket).
 */
export function parseLocationName(name: string): BlockLocation | undefined {
  const match = LOCATION_NAME.exec(name)
  if (match === null) return undefined
  const offset = Number(match[2])
  const length = Number(match[3])
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length)) return undefined
  try {
    return { blob: digestOfName(match[1] as string), offset, length }
  } catch {
    return undefined
  }
}

/** A location's value: varint offset, varint length. */
export function encodeLocation(location: BlockLocation): Uint8Array {
  const { offset, length } = location
  const out = new Uint8Array(varint.encodingLength(offset) + varint.encodingLength(length))
  varint.encodeTo(offset, out)
  varint.encodeTo(length, out, varint.encodingLength(offset))
  return out
}

/** Offset and length from a location's value. @throws {Error} malformed value. */
export function decodeLocationValue(value: Uint8Array): { offset: number; length: number } {
  const [offset, offsetBytes] = varint.decode(value)
  const [length, lengthBytes] = varint.decode(value, offsetBytes)
  if (offsetBytes + lengthBytes !== value.byteLength) throw new Error('malformed block location')
  return { offset, length }
}

/** `entries` in arrays of at most `size`. */
export async function* batches<T>(entries: Entries<T>, size: number): AsyncGenerator<T[]> {
  let batch: T[] = []
  for await (const entry of entries) {
    batch.push(entry)
    if (batch.length >= size) {
      yield batch
      batch = []
    }
  }
  if (batch.length > 0) yield batch
}

/**
 * Runs `task` on every item with at most `concurrency` running at once: a pool of workers pulling
 * from one iterator. On a failure no new task starts; the first error is thrown once the running
 * ones have settled.
 */
export async function eachLimited<T>(
  items: Entries<T>,
  concurrency: number,
  task: (item: T) => Promise<void>,
): Promise<void> {
  const iterator: Iterator<T> | AsyncIterator<T> =
    Symbol.asyncIterator in items ? items[Symbol.asyncIterator]() : items[Symbol.iterator]()
  let failure: { error: unknown } | undefined
  const worker = async () => {
    while (failure === undefined) {
      try {
        const next = await iterator.next()
        if (next.done) return
        await task(next.value)
      } catch (error) {
        failure ??= { error }
      }
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker))
  if (failure) {
    await iterator.return?.()
    throw failure.error
  }
}
