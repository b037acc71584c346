import { randomBytes } from 'node:crypto'
import { delegate, invoke, Receipt } from '@ucanto/core'
import type { Delegation, Invocation, Receipt as ReceiptView, Signer } from '@ucanto/interface'
import { ed25519 } from '@ucanto/principal'
import type { MultihashDigest } from 'multiformats'
import { CID } from 'multiformats/cid'
import { sha256 } from 'multiformats/hashes/sha2'

/** An ed25519 signer derived from a fixed 32-byte seed (all bytes `fill`): same DID every run. */
export async function fixedSigner(fill: number): Promise<Signer> {
  return ed25519.derive(new Uint8Array(32).fill(fill))
}

/** The sha2-256 multihash of `text` (UTF-8). */
export async function digestOf(text: string | Uint8Array): Promise<MultihashDigest> {
  return sha256.digest(typeof text === 'string' ? new TextEncoder().encode(text) : text)
}

/** The multihash of 32 random bytes: a digest no other test (or run, on S3) uses. */
export async function randomDigest(): Promise<MultihashDigest> {
  return digestOf(randomBytes(32))
}

/** A CIDv1 (dag-cbor, sha2-256) of random bytes. */
export async function randomCid(): Promise<CID> {
  return CID.createV1(0x71, await randomDigest())
}

/** The principals the tests use: a space, a storage node and a client, from fixed seeds. */
export async function principals() {
  return { space: await fixedSigner(1), node: await fixedSigner(2), client: await fixedSigner(3) }
}

const nonce = () => randomBytes(8).toString('hex')

/** A two-link delegation chain space → node → client, unique per call (random nonces). */
export async function delegationChain(): Promise<Delegation> {
  const { space, node, client } = await principals()
  const capabilities: [{ can: 'blob/allocate'; with: `did:key:${string}` }] = [
    { can: 'blob/allocate', with: space.did() as `did:key:${string}` },
  ]
  const root = await delegate({ issuer: space, audience: node, capabilities, nonce: nonce() })
  return delegate({ issuer: node, audience: client, capabilities, proofs: [root], nonce: nonce() })
}

/** A `blob/accept` invocation from the client to the node, unique per call. */
export async function invocation(can: `${string}/${string}` = 'blob/accept'): Promise<Invocation> {
  const { node, client, space } = await principals()
  const capability = { can, with: space.did(), nb: { size: 42 } }
  return invoke({ issuer: client, audience: node, capability, nonce: nonce() }).delegate()
}

/** A receipt issued by the node for a fresh invocation, with an `ok` result and an effect. */
export async function receipt(): Promise<ReceiptView<{ site: string }>> {
  const { node } = await principals()
  const ran = await invocation()
  const fork = await invocation('pdp/accept')
  return Receipt.issue({ issuer: node, ran, result: { ok: { site: 'done' } }, fx: { fork: [fork] } })
}
