/**
 * A Kubo repository's blocks, read only, through strata's blockstore (every block verified
 * against its CID as it is read):
 *
 * ```ts
 * import { openKuboBlockstore } from '@strata/blockstore/kubo'
 * const kubo = await openKuboBlockstore({ path: `${process.env.HOME}/.ipfs/blocks` })
 * for await (const chunk of kubo.blockstore.get(cid)) …   // put/delete throw ReadOnlyError
 * await kubo.close()
 * ```
 * @packageDocumentation
 */
import { VerifiedBlobStore } from '@strata/blobstore'
import { StrataBlockstore } from '../strata-blockstore.js'
import { KuboBlocksStore, type KuboBlocksStoreOptions } from './blocks-store.js'
import { KuboKeyEncoder } from './key-encoder.js'

export { KUBO_SHARDING, KuboBlocksStore, type KuboBlocksStoreOptions } from './blocks-store.js'
export { KuboKeyEncoder } from './key-encoder.js'

/** An opened read-only view of a Kubo `blocks/` directory. */
export interface KuboBlockstore {
  /** The blockstore (read-only: writes throw `ReadOnlyError`). */
  blockstore: StrataBlockstore
  /** Releases the view (nothing is held open between reads; idempotent). */
  close(): Promise<void>
}

/**
 * Opens a Kubo repository's `blocks/` directory read only: a {@link KuboBlocksStore} with the
 * {@link KuboKeyEncoder} under a read-only `StrataBlockstore`.
 * @throws {FlatfsLayoutError} the directory has no `SHARDING` file, or not Kubo's shard function.
 */
export async function openKuboBlockstore(options: KuboBlocksStoreOptions): Promise<KuboBlockstore> {
  const backend = new KuboBlocksStore(options)
  await backend.open()
  const blobs = new VerifiedBlobStore({ backend, keyEncoder: new KuboKeyEncoder() })
  return {
    blockstore: new StrataBlockstore({ blobs, readOnly: true }),
    close: () => backend.close(),
  }
}
