import type { Cradle } from '../../container/index.js'

/** What every route module is built from: the started container's cradle and a few settings. */
export interface RouteContext {
  /** The container's resources (stores, identity, signer, auth token, config, logger). */
  cradle: Cradle
  /** The node's public base URL, no trailing slash (`http://127.0.0.1:3000`): presigned URLs, `Location`s. */
  publicUrl: string
  /** The clock, in milliseconds (tests move it). */
  now: () => number
}

/** The public URL of a blob: `<publicUrl>/blob/z<base58btc multihash>`. */
export function blobLocation(publicUrl: string, z: string): string {
  return `${publicUrl}/blob/${z}`
}
