/**
 * What every block-index backend shares: the key of an entry (`<block>/<blob>`, both as lowercase
 * unpadded base32 of the multihash, valid on every backend) and its value (two varints: offset,
 * length), plus batching of entry streams.
 * @packageDocumentation
 */
import { Base32KeyEncoder } from '@strata/blobstore'
import { varint } from 'multiformats'
import type { MultihashDigest } from 'multiformats/hashes/interface'
import type { BlockLocation, Entries } from './contract.js'

const base32 = new Base32KeyEncoder()

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567'

/**
 * The base32 name of a multihash (`ciq…` for sha2-256): lowercase unpadded RFC 4648, the
 * blob store's `Base32KeyEncoder` form, encoded here without its generic per-bit loop (index writes
 * name every block).
 */
export function nameOf(digest: MultihashDigest): string {
  const bytes = digest.bytes
  let out = ''
  let buffer = 0
  let bits = 0
  for (let index = 0; index < bytes.byteLength; index++) {
    buffer = ((buffer << 8) | (bytes[index] as number)) & 0xffff
    bits += 8
    while (bits >= 5) {
      bits -= 5
      out += ALPHABET[(buffer >> bits) & 31]
    }
  }
  if (bits > 0) out += ALPHABET[(buffer << (5 - bits)) & 31]
  return out
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

/** An entry's key: `<block>/<blob>` (the blob's name is kept for the next call: batches share it). */
export function entryKey(block: MultihashDigest, blob: MultihashDigest): string {
  if (lastBlob?.digest !== blob) lastBlob = { digest: blob, name: nameOf(blob) }
  return `${nameOf(block)}/${lastBlob.name}`
}

/** A location's value: varint offset, varint length. */
export function encodeLocation(location: BlockLocation): Uint8Array {
  const { offset, length } = location
  const out = new Uint8Array(varint.encodingLength(offset) + varint.encodingLength(length))
  varint.encodeTo(offset, out)
  varint.encodeTo(length, out, varint.encodingLength(offset))
  return out
}

/** The location stored under an entry key's blob name. @throws {Error} malformed value. */
export function decodeLocation(blobName: string, value: Uint8Array): BlockLocation {
  return { blob: digestOfName(blobName), ...decodeLocationValue(value) }
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
 * Runs `task` on every item with at most `concurrency` running at once. On a failure no new task
 * starts; the first error is thrown once the running ones have settled.
 */
export async function eachLimited<T>(
  items: Entries<T>,
  concurrency: number,
  task: (item: T) => Promise<void>,
): Promise<void> {
  const running = new Set<Promise<void>>()
  let failure: { error: unknown } | undefined
  for await (const item of items) {
    if (failure) break
    const run: Promise<void> = task(item).then(
      () => {
        running.delete(run)
      },
      (error: unknown) => {
        running.delete(run)
        failure ??= { error }
      },
    )
    running.add(run)
    if (running.size >= concurrency) await Promise.race(running)
  }
  await Promise.all(running)
  if (failure) throw failure.error
}
