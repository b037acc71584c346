/**
 * The workload of the crash tests (`crash.test.ts`): uploads through allocate + presigned PUT,
 * some held mid-body on purpose, small uploads and journal appends in a loop, each remembered as
 * acknowledged (a 2xx reached the client) or not; and the checks made after the restart.
 */
import { encodeEntry, RetrievalJournal } from '@strata/local/journal'
import { CHILD_TOKEN } from '@strata/testkit'
import { CAR } from '@ucanto/core'
import { expect } from 'vitest'
import {
  allocate,
  deterministicStream,
  hashedGet,
  hashStream,
  retrievalReceipt,
  send,
  zDigest,
} from './e2e-helpers.js'

/** A blob of the workload: its deterministic bytes, digest and size. */
export interface Blob {
  z: string
  sha256: string
  size: number
  stream: () => AsyncGenerator<Uint8Array>
}

/** A blob of `size` deterministic bytes from `seed` (hashed once here; never held). */
export async function blobOf(size: number, seed: number): Promise<Blob> {
  const stream = deterministicStream(size, seed, Math.min(size, 1024 * 1024))
  const { sha256 } = await hashStream(stream())
  return { z: zDigest(sha256), sha256, size, stream }
}

/**
 * Allocates `blob` for `space` and PUTs it; the body waits at `holdAt` bytes until `release`
 * settles (never, for a blob that must still be mid-upload when the server dies).
 * @returns the PUT's status. @throws when the connection fails (e.g. the server was killed).
 */
export async function upload(
  url: string,
  space: string,
  blob: Blob,
  hold?: { at: number; reached: () => void; release: Promise<void> },
  token = CHILD_TOKEN,
): Promise<number> {
  const { allocation } = await allocate(url, token, space, blob.z, blob.size)
  if (!allocation.url) return 200
  async function* body() {
    let sent = 0
    for await (const chunk of blob.stream()) {
      if (hold && sent < hold.at && sent + chunk.byteLength >= hold.at) {
        yield chunk.subarray(0, hold.at - sent)
        hold.reached()
        await hold.release
        yield chunk.subarray(hold.at - sent)
      } else {
        yield chunk
      }
      sent += chunk.byteLength
    }
  }
  return (await send(allocation.url, 'PUT', allocation.headers, body())).status
}

/** A retrieval receipt's archive, unique per `n`, and the journal entry CID it will have. */
export async function receiptArchive(n: number): Promise<{ entry: string; bytes: Uint8Array }> {
  const { cid, bytes } = await encodeEntry(await retrievalReceipt(1_000_000 + n))
  return { entry: cid.toString(), bytes }
}

/** What the background loop did before the server died. */
export interface LoopRecord {
  /** Small blobs whose PUT answered 2xx. */
  acked: Blob[]
  /** Small blobs whose PUT was sent but never answered (in flight at the kill). */
  unacked: Blob[]
  /** Journal entries whose POST /receipts answered 201. */
  entries: string[]
}

/**
 * Small uploads and journal appends, one after the other, until a request fails (the server
 * died) or `state.stop` is set; records what was acknowledged into `record` as it goes.
 */
export async function writeLoop(
  url: string,
  space: string,
  state: { stop: boolean },
  record: LoopRecord,
): Promise<void> {
  for (let n = 0; !state.stop; n++) {
    const blob = await blobOf(16 * 1024 + ((n * 7919) % 300_000), 0xc0ffee + n)
    const archive = await receiptArchive(n)
    try {
      record.unacked.push(blob)
      const status = await upload(url, space, blob)
      if (status === 201 || status === 200) record.acked.push(record.unacked.pop() as Blob)
      const res = await send(
        `${url}/receipts`,
        'POST',
        { authorization: `Bearer ${CHILD_TOKEN}`, 'content-type': 'application/vnd.ipld.car' },
        archive.bytes,
      )
      if (res.status === 201) record.entries.push(archive.entry)
    } catch {
      return
    }
  }
}

/** Checks every acknowledged blob is stored whole (re-hashed) and every unacknowledged one is whole or absent. */
export async function expectBlobs(
  url: string,
  acked: Blob[],
  unacked: Blob[],
  absent: Blob[],
): Promise<void> {
  for (const blob of acked) {
    const got = await hashedGet(`${url}/blob/${blob.z}`)
    expect({ status: got.status, sha256: got.sha256, bytes: got.bytes }).toEqual({
      status: 200,
      sha256: blob.sha256,
      bytes: blob.size,
    })
  }
  for (const blob of unacked) {
    const got = await hashedGet(`${url}/blob/${blob.z}`)
    if (got.status === 404) continue
    expect({ status: got.status, sha256: got.sha256 }).toEqual({ status: 200, sha256: blob.sha256 })
  }
  for (const blob of absent) {
    expect((await send(`${url}/blob/${blob.z}`, 'HEAD')).status).toBe(404)
  }
}

/**
 * Opens the journal of a stopped server, rotates what it holds and answers the entry CIDs of
 * every batch, in order, and how many bytes its open cut off as a torn tail.
 */
export async function journalEntries(path: string): Promise<{ entries: string[]; truncated: number }> {
  const journal = new RetrievalJournal({ path })
  await journal.open()
  try {
    const { truncated } = journal.status
    const entries: string[] = []
    const batch = await journal.forceRotate()
    if (batch !== undefined) {
      const chunks: Uint8Array[] = []
      for await (const chunk of (await journal.getBatch(batch)).body) chunks.push(chunk)
      for (const cid of CAR.decode(new Uint8Array(Buffer.concat(chunks))).blocks.keys()) entries.push(cid)
    }
    return { entries, truncated }
  } finally {
    await journal.close()
  }
}
