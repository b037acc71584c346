/**
 * CARs for tests and benchmarks (no test framework needed): small hand-made DAGs in every codec
 * the package follows, and large CARs generated as streams, never held whole.
 * @packageDocumentation
 */
import { createHash, randomBytes } from 'node:crypto'
import * as dagCbor from '@ipld/dag-cbor'
import * as dagJson from '@ipld/dag-json'
import * as dagPb from '@ipld/dag-pb'
import { varint } from 'multiformats'
import { CID } from 'multiformats/cid'
import { create as createDigest } from 'multiformats/hashes/digest'

/** A block: its CID and bytes. */
export interface TestBlock {
  cid: CID
  bytes: Uint8Array
}

const RAW = 0x55
const HASHES = { 'sha2-256': [0x12, 'sha256'], 'sha2-512': [0x13, 'sha512'] } as const

/** A block of `bytes` under `codec`, hashed with `hash` (default sha2-256), or inline (`identity`). */
export function blockOf(
  bytes: Uint8Array,
  codec: number,
  hash: keyof typeof HASHES | 'identity' = 'sha2-256',
): TestBlock {
  if (hash === 'identity') return { cid: CID.createV1(codec, createDigest(0x00, bytes)), bytes }
  const [code, algorithm] = HASHES[hash]
  return { cid: CID.createV1(codec, createDigest(code, createHash(algorithm).update(bytes).digest())), bytes }
}

/** A dag-cbor block of `value`. */
export function cborBlock(value: unknown, hash: keyof typeof HASHES = 'sha2-256'): TestBlock {
  return blockOf(dagCbor.encode(value), dagCbor.code, hash)
}

/** A raw block. */
export function rawBlock(bytes: Uint8Array, hash: keyof typeof HASHES | 'identity' = 'sha2-256'): TestBlock {
  return blockOf(bytes, RAW, hash)
}

/** The bytes of a CAR section: varint, CID, data. */
export function sectionOf(cid: CID | Uint8Array, bytes: Uint8Array): Uint8Array {
  const cidBytes = cid instanceof Uint8Array ? cid : cid.bytes
  const length = cidBytes.byteLength + bytes.byteLength
  const head = varint.encodingLength(length)
  const out = new Uint8Array(head + length)
  varint.encodeTo(length, out)
  out.set(cidBytes, head)
  out.set(bytes, head + cidBytes.byteLength)
  return out
}

/** A CARv1 header (varint + dag-cbor). */
export function headerOf(roots: CID[], version = 1): Uint8Array {
  const bytes = dagCbor.encode({ roots, version })
  const out = new Uint8Array(varint.encodingLength(bytes.byteLength) + bytes.byteLength)
  varint.encodeTo(bytes.byteLength, out)
  out.set(bytes, out.byteLength - bytes.byteLength)
  return out
}

/** A whole CARv1 of `blocks` in order. */
export function carOf(roots: CID[], blocks: TestBlock[]): Uint8Array {
  return Buffer.concat([headerOf(roots), ...blocks.map((block) => sectionOf(block.cid, block.bytes))])
}

/**
 * A small DAG in every codec the package follows: a dag-cbor root linking a dag-pb directory
 * (linking two raw leaves, one sha2-512), a dag-json node (linking a raw leaf and an identity
 * block) and a raw leaf linked twice. `blocks` is in depth-first order from the root, each once,
 * identity block included (it is written in a CAR like any block).
 */
export function sampleDag(): { root: CID; blocks: TestBlock[] } {
  const leafA = rawBlock(new TextEncoder().encode('leaf a'))
  const leafB = rawBlock(randomBytes(3000), 'sha2-512')
  const shared = rawBlock(new TextEncoder().encode('shared leaf'))
  const inline = rawBlock(new TextEncoder().encode('inline'), 'identity')
  const directory = blockOf(
    dagPb.encode(
      dagPb.prepare({
        Data: new Uint8Array([8, 1]),
        Links: [
          { Name: 'a', Hash: leafA.cid, Tsize: 6 },
          { Name: 'b', Hash: leafB.cid, Tsize: 3000 },
        ],
      }),
    ),
    dagPb.code,
  )
  const json = blockOf(dagJson.encode({ shared: shared.cid, inline: inline.cid, n: 1 }), dagJson.code)
  const root = cborBlock({ dir: directory.cid, json: json.cid, again: shared.cid, note: 'root' })
  return { root: root.cid, blocks: [root, directory, leafA, leafB, json, inline, shared] }
}

/** Options for {@link largeCar}. */
export interface LargeCarOptions {
  /** Leaf blocks. */
  leaves: number
  /** Bytes of each leaf's data (dag-cbor leaves carry `leafSize` - ~16 bytes of payload). */
  leafSize: number
  /** `dag-cbor` leaves (ATProto-like records, default) or `raw`. */
  leafCodec?: 'dag-cbor' | 'raw'
  /** Links per dag-cbor interior node. Default 32. */
  fanout?: number
  /** Bytes per yielded chunk (sections are gathered into chunks of about this size). Default 1 MiB. */
  chunkSize?: number
}

/**
 * A large CAR as a stream, never held whole: `leaves` leaf blocks under a tree of dag-cbor nodes
 * (`fanout` links each), leaves first, the root last. The root is in the header, so it is computed
 * by a first pass that only hashes (`root()`); `stream()` then yields the CAR in fresh chunks.
 */
export function largeCar(options: LargeCarOptions) {
  const { leaves, leafSize, leafCodec = 'dag-cbor', fanout = 32, chunkSize = 1024 * 1024 } = options
  const template = randomBytes(leafSize)
  const leafAt = (index: number): TestBlock => {
    if (leafCodec === 'raw') {
      const bytes = Buffer.from(template)
      bytes.writeUInt32BE(index, 0)
      return rawBlock(bytes)
    }
    const data = Buffer.from(template.subarray(0, Math.max(0, leafSize - 16)))
    data.writeUInt32BE(index, 0)
    return cborBlock({ i: index, d: data })
  }
  function* blocks(): Generator<TestBlock> {
    const levels: CID[][] = [[]]
    const add = (level: number, cid: CID): TestBlock | undefined => {
      const at = levels[level] ?? []
      levels[level] = at
      at.push(cid)
      if (at.length < fanout) return undefined
      levels[level] = []
      return cborBlock({ l: level + 1, links: at })
    }
    const climb = function* (start: number, block: TestBlock | undefined): Generator<TestBlock> {
      let level = start
      let parent = block
      while (parent !== undefined) {
        yield parent
        level++
        parent = add(level, parent.cid)
      }
    }
    for (let index = 0; index < leaves; index++) {
      const leaf = leafAt(index)
      yield leaf
      yield* climb(0, add(0, leaf.cid))
    }
    for (let level = 0; level < levels.length; level++) {
      const pending = levels[level] as CID[]
      const higher = levels.slice(level + 1).some((cids) => cids.length > 0)
      if (pending.length > 1 || (pending.length === 1 && higher)) {
        levels[level] = []
        yield* climb(level, cborBlock({ l: level + 1, links: pending }))
      }
    }
  }
  let root: CID | undefined
  let size = 0
  const measure = () => {
    size = 0
    for (const block of blocks()) {
      root = block.cid
      const length = block.cid.bytes.byteLength + block.bytes.byteLength
      size += varint.encodingLength(length) + length
    }
    size += headerOf([root as CID]).byteLength
  }
  return {
    /** The blocks, in CAR order (regenerated on each call). */
    blocks,
    /** The root CID (the first call hashes the whole CAR once). */
    root(): CID {
      if (root === undefined) measure()
      return root as CID
    },
    /** The CAR's size in bytes (computed with the root). */
    size(): number {
      if (root === undefined) measure()
      return size
    },
    /**
     * The CAR, in fresh chunks of about `chunkSize` bytes. Calls `gc()` every 4 MiB when the
     * process runs with `--expose-gc`, as `patternStream` does, so memory checks see live memory.
     */
    async *stream(): AsyncGenerator<Uint8Array> {
      let sinceGc = 0
      let parts: Uint8Array[] = [headerOf([this.root()])]
      let size = parts[0]?.byteLength ?? 0
      for (const block of blocks()) {
        const section = sectionOf(block.cid, block.bytes)
        parts.push(section)
        size += section.byteLength
        if (size >= chunkSize) {
          sinceGc += size
          if (sinceGc >= 4 * 1024 * 1024) {
            ;(globalThis as { gc?: () => void }).gc?.()
            sinceGc = 0
          }
          yield Buffer.concat(parts)
          parts = []
          size = 0
        }
      }
      if (parts.length > 0) yield Buffer.concat(parts)
    },
  }
}
