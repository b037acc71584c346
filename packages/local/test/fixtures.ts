import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { CarReader } from '@ipld/car'
import { invoke, Receipt } from '@ucanto/core'
import type { Receipt as ReceiptType } from '@ucanto/interface'
import { ed25519 } from '@ucanto/principal'
import { CID } from 'multiformats/cid'
import { create as createDigest } from 'multiformats/hashes/digest'
import { sha256 } from 'multiformats/hashes/sha2'
import { expect } from 'vitest'
import { decodeEntry } from '../src/journal/index.js'

/** The storage node (issues receipts) and a client (invokes retrievals). */
export const node = await ed25519.generate()
export const client = await ed25519.generate()

/** A real ucanto receipt for a `space/content/retrieve` invocation, unique per `n`. */
export async function retrievalReceipt(n: number): Promise<ReceiptType> {
  const invocation = await invoke({
    issuer: client,
    audience: node,
    capability: {
      can: 'space/content/retrieve',
      with: client.did(),
      nb: { blob: { digest: new Uint8Array([n & 0xff, n >> 8]) }, range: [0, n] },
    },
    nonce: String(n),
  }).delegate()
  return Receipt.issue({ issuer: node, ran: invocation, result: { ok: {} } })
}

/** `count` receipts, numbered from `from`. */
export function receipts(count: number, from = 0): Promise<ReceiptType[]> {
  return Promise.all(Array.from({ length: count }, (_, i) => retrievalReceipt(from + i)))
}

/** CIDv1 car (0x0202) of the sha2-256 of `bytes`, computed independently of the journal. */
export function expectedCarCid(bytes: Uint8Array): string {
  const digest = createHash('sha256').update(bytes).digest()
  return CID.createV1(0x0202, createDigest(sha256.code, digest)).toString()
}

/** Collects an async iterable (`Array.fromAsync` is missing from Node 20). */
export async function toArray<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const item of items) out.push(item)
  return out
}

/** Collects a streamed body. */
export async function collect(body: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  return new Uint8Array(Buffer.concat(await toArray(body)))
}

/**
 * Reads a batch file with `@ipld/car` block for block, checks each block's bytes against its CID
 * and decodes each as a receipt; answers the receipts' CIDs in file order.
 */
export async function readBatch(body: AsyncIterable<Uint8Array>): Promise<string[]> {
  const reader = await CarReader.fromIterable(body)
  expect(reader.version).toBe(1)
  expect(await reader.getRoots()).toEqual([])
  const links: string[] = []
  for await (const block of reader.blocks()) {
    expect(block.cid.code).toBe(0x0202)
    expect(block.cid.multihash.code).toBe(sha256.code)
    expect(block.cid.multihash.digest).toEqual((await sha256.digest(block.bytes)).digest)
    const receipt = decodeEntry(block)
    expect(receipt.out).toEqual({ ok: {} })
    expect((await receipt.verifySignature(node.verifier)).ok).toBeDefined()
    links.push(receipt.link().toString())
  }
  return links
}

/** Reads a file whole (tests only: files here are small). */
export async function fileBytes(path: string): Promise<Uint8Array> {
  return new Uint8Array(await readFile(path))
}

/** Waits until `check` holds, polling. */
export async function until(check: () => boolean, timeout = 5_000): Promise<void> {
  const deadline = Date.now() + timeout
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for a condition')
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}
