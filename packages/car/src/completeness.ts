import type { CID } from 'multiformats/cid'
import { multihashOfCid, scanCborLinks } from './cbor-links.js'
import { BlockTable } from './index-archive/block-table.js'
import { DAG_CBOR, linksOf } from './links.js'
import type { CarBlock } from './read/reader.js'

/**
 * Tells whether a CAR holds a whole DAG: collects the links of every block as it is read (packed,
 * like the block table) and, at the end, looks each up among the CAR's blocks. A block whose codec
 * is not dag-cbor, dag-pb, dag-json or raw is a leaf (its links cannot be read, by this package's
 * walk either); a block that does not decode with its codec makes the CAR incomplete.
 */
export class Completeness {
  readonly #links = new BlockTable()
  #undecodable = false

  /** Notes the links of `block`. */
  add(block: CarBlock): void {
    if (this.#undecodable) return
    let links: CID[] | undefined
    try {
      if (block.cid.code === DAG_CBOR) {
        // the common case (ATProto repos): scanned, no CID objects built
        scanCborLinks(block.bytes, (cid) => this.#links.add(multihashOfCid(cid), 0, 0))
        return
      }
      links = linksOf(block.cid, block.bytes)
    } catch {
      this.#undecodable = true
      return
    }
    for (const link of links ?? []) this.#links.add(link.multihash.bytes, 0, 0)
  }

  /** Whether every root and every link is a block of `blocks` (sorted: its `sortedUnique()`). */
  complete(roots: CID[], blocks: BlockTable, sorted: Uint32Array): boolean {
    if (this.#undecodable) return false
    for (const root of roots) if (!blocks.includes(sorted, root.multihash.bytes)) return false
    for (let index = 0; index < this.#links.size; index++) {
      if (!blocks.includes(sorted, this.#links.row(index).multihash)) return false
    }
    return true
  }
}
