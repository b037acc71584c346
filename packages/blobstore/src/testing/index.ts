import { randomBytes } from 'node:crypto'
import { resolveRange } from '@strata/objectstore'
import {
  chunked,
  patternStream,
  peakMemoryGrowth,
  readAll,
  sha256Of,
  utf8,
} from '@strata/objectstore/testing'
import { create as createDigest } from 'multiformats/hashes/digest'
import type { MultihashDigest } from 'multiformats/hashes/interface'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { BlobStore, ByteRange } from '../contract.js'
import { addCases } from './add.js'
import {
  randomBlob as blob,
  digestOf,
  digestOfStream,
  SHA2_256,
  SHA2_512,
  digestText as text,
  unreadable,
} from './data.js'

export * from './data.js'

/** What a backend can do; the suite adapts its cases to these flags. */
export interface BlobStoreCapabilities {
  /** Blobs stream through without being held whole (false for memory and datastore). Default true. */
  boundedMemory?: boolean
  /** Size of the large-blob case in bytes. Default 16 MiB. */
  largeBlobSize?: number
  /** With `boundedMemory`, the most the large-blob case may grow memory by. Default `largeBlobSize / 2`. */
  maxMemoryGrowth?: number
}

/** How the suite gets a blob store to test. */
export interface BlobStoreSuiteOptions {
  /** Answers a ready blob store (backend opened). Called once per suite. */
  create(): Promise<BlobStore>
  /** Closes and removes what `create` made. */
  destroy?(blobs: BlobStore): Promise<void>
  /**
   * Lists the backend's staging keys (`STAGING_PREFIX`), so the suite can check that a failed or
   * duplicate `add` leaves none behind. Default: not checked.
   */
  staging?(): Promise<string[]>
  supports?: BlobStoreCapabilities
}

const MiB = 1024 * 1024

/**
 * The blob-store conformance suite: one set of cases every backend must pass, adapted by
 * capability flags. Call it inside a vitest test file. Blobs are random per case, so backends that
 * share state between runs (S3 buckets) are safe.
 */
export function blobStoreSuite(name: string, options: BlobStoreSuiteOptions): void {
  const largeBlobSize = options.supports?.largeBlobSize ?? 16 * MiB
  const supports = {
    boundedMemory: true,
    largeBlobSize,
    maxMemoryGrowth: largeBlobSize / 2,
    ...options.supports,
  }

  describe(`BlobStore conformance: ${name}`, () => {
    let blobs: BlobStore
    beforeAll(async () => {
      blobs = await options.create()
    })
    afterAll(async () => {
      await options.destroy?.(blobs)
    })

    const expectAbsent = async (digest: MultihashDigest) => {
      expect(await blobs.has(digest)).toBe(false)
      await expect(blobs.get(digest)).rejects.toMatchObject({ name: 'NotFoundError' })
    }

    const expectContent = async (digest: MultihashDigest, bytes: Uint8Array, range?: ByteRange) => {
      const result = await blobs.get(digest, range ? { range } : {})
      const wanted = resolveRange(range, bytes.byteLength)
      const expected = bytes.subarray(wanted.start, wanted.end + 1)
      expect(result.size).toBe(bytes.byteLength)
      expect(result.range).toEqual(wanted)
      expect(Buffer.from(await readAll(result.body)).equals(Buffer.from(expected))).toBe(true)
    }

    it('round-trips a sha2-256 blob, whole and streamed', async () => {
      const { bytes, digest } = blob(1000)
      expect(await blobs.put(digest, bytes.length, bytes)).toEqual({ created: true })
      expect(await blobs.has(digest)).toBe(true)
      await expectContent(digest, bytes)

      const streamed = blob(MiB + 17)
      await blobs.put(streamed.digest, streamed.bytes.length, chunked(streamed.bytes, 65_537))
      await expectContent(streamed.digest, streamed.bytes)
    })

    it('round-trips a sha2-512 blob', async () => {
      const { bytes, digest } = blob(100_000, SHA2_512)
      expect(await blobs.put(digest, bytes.length, chunked(bytes, 4096))).toEqual({ created: true })
      await expectContent(digest, bytes)
    })

    it('stores an empty blob', async () => {
      const empty = new Uint8Array(0)
      const digest = digestOf(empty)
      await blobs.put(digest, 0, empty)
      await expectContent(digest, empty)
      await expect(blobs.get(digest, { range: { start: 0 } })).rejects.toMatchObject({
        name: 'RangeNotSatisfiableError',
        size: 0,
      })
    })

    it('answers NotFoundError for a missing blob', async () => {
      await expectAbsent(blob(10).digest)
    })

    it('deletes a blob, and deleting a missing blob succeeds', async () => {
      const { bytes, digest } = blob(64)
      await blobs.put(digest, bytes.length, bytes)
      await blobs.delete(digest)
      await expectAbsent(digest)
      await blobs.delete(digest)
    })

    it('rejects bytes that do not hash to the digest with DigestMismatchError and stores nothing', async () => {
      const stored = blob(5000)
      await blobs.put(stored.digest, stored.bytes.length, stored.bytes)
      const claimed = blob(5000).digest
      // The valid bytes of another blob, put under the wrong digest.
      const error = await blobs.put(claimed, stored.bytes.length, chunked(stored.bytes, 1000)).catch((e) => e)
      expect(error).toMatchObject({ name: 'DigestMismatchError' })
      expect(text(error.expected)).toBe(text(claimed))
      expect(text(error.actual)).toBe(text(stored.digest))
      await expectAbsent(claimed)
      await expectContent(stored.digest, stored.bytes)
      // The same with a sha2-512 digest and a single-chunk body.
      const wrong512 = blob(300, SHA2_512)
      await expect(blobs.put(wrong512.digest, 300, randomBytes(300))).rejects.toMatchObject({
        name: 'DigestMismatchError',
      })
      await expectAbsent(wrong512.digest)
    })

    it('rejects a short body with TooSmallError and a long one with TooLargeError, storing nothing', async () => {
      const { bytes, digest } = blob(100)
      await expect(blobs.put(digest, 101, bytes)).rejects.toMatchObject({
        name: 'TooSmallError',
        expected: 101,
        actual: 100,
      })
      await expect(blobs.put(digest, 99, chunked(bytes, 10))).rejects.toMatchObject({
        name: 'TooLargeError',
        expected: 99,
      })
      await expectAbsent(digest)
    })

    it('refuses an unsupported hash function before reading the body', async () => {
      for (const [code, length] of [
        [0x11, 20], // sha1
        [0x00, 5], // identity
        [0xb220, 32], // blake2b-256
      ] as const) {
        const body = unreadable()
        const digest = createDigest(code, randomBytes(length))
        await expect(blobs.put(digest, 10, body)).rejects.toMatchObject({
          name: 'UnsupportedHashError',
          code,
        })
        expect(body.touched).toBe(false)
        expect(await blobs.has(digest)).toBe(false)
      }
    })

    it('refuses a digest whose length does not match its hash function', async () => {
      const wrongLengths = [createDigest(SHA2_256, randomBytes(31)), createDigest(SHA2_512, randomBytes(32))]
      const good = blob(10).digest
      const inconsistent = { ...good, code: SHA2_512 }
      for (const digest of [...wrongLengths, inconsistent]) {
        const body = unreadable()
        await expect(blobs.put(digest, 10, body)).rejects.toMatchObject({ name: 'InvalidDigestError' })
        expect(body.touched).toBe(false)
      }
    })

    describe('ranges of a 10-byte blob', () => {
      const bytes = utf8('0123456789')
      const digest = digestOf(bytes)
      beforeAll(async () => {
        await blobs.put(digest, bytes.length, bytes)
      })

      const satisfiable: ByteRange[] = [
        { start: 0, end: 9 },
        { start: 2, end: 5 },
        { start: 7 },
        { start: 9, end: 9 },
        { start: 5, end: 15 },
        { suffix: 3 },
        { suffix: 30 },
      ]
      for (const range of satisfiable) {
        it(`reads ${JSON.stringify(range)} with size still 10`, async () => {
          await expectContent(digest, bytes, range)
        })
      }

      it('stats the blob: its size, without reading it', async () => {
        expect((await blobs.stat(digest)).size).toBe(10)
        await expect(blobs.stat(blob(10).digest)).rejects.toMatchObject({ name: 'NotFoundError' })
      })

      const unsatisfiable: ByteRange[] = [{ start: 10 }, { start: 6, end: 5 }, { suffix: 0 }]
      for (const range of unsatisfiable) {
        it(`rejects ${JSON.stringify(range)} with RangeNotSatisfiableError`, async () => {
          await expect(blobs.get(digest, { range })).rejects.toMatchObject({
            name: 'RangeNotSatisfiableError',
            range,
            size: 10,
          })
        })
      }
    })

    addCases(() => blobs, options.staging)

    it('answers created: false for a stored blob without reading the body', async () => {
      const { bytes, digest } = blob(2000)
      expect(await blobs.put(digest, bytes.length, bytes)).toEqual({ created: true })
      const body = unreadable()
      expect(await blobs.put(digest, bytes.length, body)).toEqual({ created: false })
      expect(body.touched).toBe(false)
      await expectContent(digest, bytes)
    })

    it('lists the digests of stored blobs', async () => {
      const stored = [blob(10), blob(20), blob(30, SHA2_512)] as const
      for (const { bytes, digest } of stored) await blobs.put(digest, bytes.length, bytes)
      const listed = new Set<string>()
      for await (const digest of blobs.list()) listed.add(text(digest))
      for (const { digest } of stored) expect(listed).toContain(text(digest))
      const removed = stored[0].digest
      await blobs.delete(removed)
      const after = new Set<string>()
      for await (const digest of blobs.list()) after.add(text(digest))
      expect(after).not.toContain(text(removed))
    })

    it('ends concurrent puts of the same blob with one correct copy', async () => {
      const { bytes, digest } = blob(256 * 1024 + 3)
      const results = await Promise.all(
        Array.from({ length: 8 }, () => blobs.put(digest, bytes.length, chunked(bytes, 16 * 1024))),
      )
      expect(results.some((result) => result.created)).toBe(true)
      await expectContent(digest, bytes)
    })

    it('keeps the good copy when good and bad bodies race on one digest', async () => {
      const { bytes, digest } = blob(256 * 1024)
      const outcomes = await Promise.allSettled(
        Array.from({ length: 8 }, (_, i) => {
          const body = i % 2 === 0 ? bytes : randomBytes(bytes.length)
          return blobs.put(digest, bytes.length, chunked(body, 16 * 1024))
        }),
      )
      outcomes.forEach((outcome, i) => {
        if (i % 2 === 0) expect(outcome.status).toBe('fulfilled')
        // A bad body either failed verification or found the good blob stored and went unread.
        else if (outcome.status === 'rejected')
          expect(outcome.reason).toMatchObject({ name: 'DigestMismatchError' })
        else expect(outcome.value).toEqual({ created: false })
      })
      await expectContent(digest, bytes)
    })

    it('never shows a concurrent reader a blob that fails verification', async () => {
      const size = 32 * MiB
      const claimed = blob(64).digest
      const pattern = patternStream(size)
      let settled = false
      // Settles to the put's outcome (never rejects, so the polling loop leaves no rejection unhandled).
      const outcome = blobs.put(claimed, size, pattern.stream()).then(
        (result) => result,
        (error: unknown) => error,
      )
      void outcome.finally(() => {
        settled = true
      })
      let polls = 0
      while (!settled) {
        polls++
        expect(await blobs.has(claimed)).toBe(false)
        await expect(blobs.get(claimed)).rejects.toMatchObject({ name: 'NotFoundError' })
        await new Promise((resolve) => setImmediate(resolve))
      }
      expect(await outcome).toMatchObject({ name: 'DigestMismatchError' })
      expect(polls).toBeGreaterThan(1)
      await expectAbsent(claimed)
    })

    it('leaves nothing visible when a put is aborted midway', async () => {
      const { bytes, digest } = blob(3 * 64 * 1024)
      const controller = new AbortController()
      async function* body() {
        yield bytes.subarray(0, 64 * 1024)
        controller.abort()
        yield bytes.subarray(64 * 1024)
      }
      await expect(
        blobs.put(digest, bytes.length, body(), { signal: controller.signal }),
      ).rejects.toMatchObject({ name: 'AbortError' })
      await expectAbsent(digest)
    })

    const large = supports.largeBlobSize
    it(`puts and reads back a ${large / MiB} MiB blob${supports.boundedMemory ? ' with bounded memory' : ''}`, async () => {
      const pattern = patternStream(large)
      const digest = await digestOfStream(pattern.stream())
      let read = { hex: '', bytes: 0 }
      const growth = await peakMemoryGrowth(async () => {
        expect(await blobs.put(digest, large, pattern.stream())).toEqual({ created: true })
        read = await sha256Of((await blobs.get(digest)).body)
      })
      expect(read).toEqual({ hex: Buffer.from(digest.digest).toString('hex'), bytes: large })
      const ranged = await blobs.get(digest, { range: { start: large - 3 * MiB - 5, end: large - MiB + 6 } })
      expect(ranged.size).toBe(large)
      expect((await sha256Of(ranged.body)).bytes).toBe(2 * MiB + 12)
      console.info(
        `${name}: ${large / MiB} MiB put + read, peak memory growth ${(growth / MiB).toFixed(1)} MiB`,
      )
      if (supports.boundedMemory) expect(growth).toBeLessThan(supports.maxMemoryGrowth)
      await blobs.delete(digest)
    })
  })
}
