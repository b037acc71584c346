/**
 * Golden bytes: the exact encoding of fixed records. A failure here means stored records would
 * change (and stop matching Piri's), so never "fix" a hex string without a migration plan.
 *
 * Every map is DAG-CBOR with keys sorted length-first (RFC 7049 canonical order, which both
 * `@ipld/dag-cbor` and go-ipld-prime's `dagcbor.Encode` use), links as tag 42, DIDs as ucanto's
 * `DID.encode` bytes, digests as multihash bytes.
 */
import { createHash } from 'node:crypto'
import { type Acceptance, acceptanceCodec } from '@strata/stores/acceptance'
import { type Allocation, allocationCodec } from '@strata/stores/allocation'
import { consolidationRecordCodec } from '@strata/stores/consolidation'
import { decodeReceipt, encodeReceipt } from '@strata/stores/receipt'
import { Delegation, invoke, Receipt } from '@ucanto/core'
import type { DID } from '@ucanto/interface'
import { CID } from 'multiformats/cid'
import { describe, expect, it } from 'vitest'
import { digestOf, fixedSigner } from './fixtures.js'

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex')
const sha256Hex = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex')

// Building blocks of the expected hex, named and split so a reader can check them by eye.
const join = (...parts: string[]) => parts.join('')
// "blob": { "size": 11, "digest": multihash bytes of sha2-256("hello world") }
const BLOB = join(
  '64626c6f62',
  'a2',
  '6473697a65',
  '0b',
  '66646967657374',
  '5822',
  '1220b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9',
)
// "cause": tag 42, bytes(37) = 0x00 + bafyreih3tmucqbqt5tt6c5jallyuhnv6c5hcmwpl72hh6aen45gu2ugapm
const CAUSE = join(
  '656361757365',
  'd82a5825',
  '00',
  '01711220fb9b28280613ece7e175205af143b6be174e2659ebfe8e7f008de74d4d50c07b',
)
// "space": bytes(34), the did:key of the ed25519 key from seed 0x01 × 32: 0xed01 + public key
const SPACE = join(
  '6573706163655822',
  'ed01',
  '8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c',
)
// tag 42, bytes(37) = 0x00 + bafyreigcx4cyd2ie7uyqvvypnmfp547rquuzwlnv7ddjipab5exrzr7raq
const TASK = join(
  'd82a5825',
  '00',
  '01711220c2bf0581e904fd310ad70f6b0afef3f185299b2db5f8c6943c01e92f1cc7f104',
)
const UNIX_1700000000 = '1a6553f100'

const cause = CID.parse('bafyreih3tmucqbqt5tt6c5jallyuhnv6c5hcmwpl72hh6aen45gu2ugapm')
const task = CID.parse('bafyreigcx4cyd2ie7uyqvvypnmfp547rquuzwlnv7ddjipab5exrzr7raq')

const fixture = async () => ({
  space: (await fixedSigner(1)).did() as DID,
  blob: { digest: await digestOf('hello world'), size: 11 },
})

describe('golden DAG-CBOR bytes', () => {
  it('allocation: { blob, cause, space, expires }', async () => {
    const allocation: Allocation = { ...(await fixture()), expires: 1_700_000_000, cause }
    const expected = `a4${BLOB}${CAUSE}${SPACE}6765787069726573${UNIX_1700000000}`
    expect(hex(allocationCodec.encode(allocation))).toBe(expected)
    const decoded = allocationCodec.decode(Buffer.from(expected, 'hex'))
    expect(decoded.space).toBe('did:key:z6Mkon3Necd6NkkyfoGoHxid2znGc59LU3K7mubaRcFbLfLX')
    expect(hex(decoded.blob.digest.bytes)).toBe(hex(allocation.blob.digest.bytes))
    expect(decoded.cause.toString()).toBe(cause.toString())
    expect(decoded.expires).toBe(1_700_000_000)
  })

  it('allocation with a non-key DID: varint 0x0d1d + UTF-8 after "did:"', async () => {
    const allocation: Allocation = {
      ...(await fixture()),
      space: 'did:web:example.com',
      expires: 1_700_000_000,
      cause,
    }
    // "space": bytes(17) = varint 0x0d1d + "web:example.com"
    const space = join('657370616365', '51', '9d1a', '7765623a6578616d706c652e636f6d')
    expect(hex(allocationCodec.encode(allocation))).toBe(
      `a4${BLOB}${CAUSE}${space}6765787069726573${UNIX_1700000000}`,
    )
    expect(allocationCodec.decode(allocationCodec.encode(allocation)).space).toBe('did:web:example.com')
  })

  it('acceptance without pdpAccept: { blob, cause, space, executedAt }', async () => {
    const acceptance: Acceptance = { ...(await fixture()), executedAt: 1_700_000_000, cause }
    const expected = `a4${BLOB}${CAUSE}${SPACE}6a65786563757465644174${UNIX_1700000000}`
    expect(hex(acceptanceCodec.encode(acceptance))).toBe(expected)
    expect('pdpAccept' in acceptanceCodec.decode(Buffer.from(expected, 'hex'))).toBe(false)
  })

  it("acceptance with pdpAccept: { ..., pdpAccept: { 'ucan/await': ['.out.ok', link] }, executedAt }", async () => {
    const acceptance: Acceptance = {
      ...(await fixture()),
      pdpAccept: { 'ucan/await': ['.out.ok', task] },
      executedAt: 1_700_000_000,
      cause,
    }
    // "pdpAccept": { "ucan/await": [".out.ok", link] }
    const pdpAccept = `69706470416363657074a16a7563616e2f617761697482672e6f75742e6f6b${TASK}`
    const expected = `a5${BLOB}${CAUSE}${SPACE}${pdpAccept}6a65786563757465644174${UNIX_1700000000}`
    expect(hex(acceptanceCodec.encode(acceptance))).toBe(expected)
    const decoded = acceptanceCodec.decode(Buffer.from(expected, 'hex'))
    expect(decoded.pdpAccept?.['ucan/await'][0]).toBe('.out.ok')
    expect(decoded.pdpAccept?.['ucan/await'][1].toString()).toBe(task.toString())
  })

  it('consolidation record: { trackInvocation: bytes, consolidateInvocationCID: link }', () => {
    const record = { trackInvocation: new TextEncoder().encode('car bytes'), consolidateInvocationCID: task }
    const expected = join(
      'a2',
      '6f747261636b496e766f636174696f6e', // "trackInvocation"
      '49636172206279746573', // bytes(9) "car bytes"
      '7818636f6e736f6c6964617465496e766f636174696f6e434944', // "consolidateInvocationCID"
      TASK,
    )
    expect(hex(consolidationRecordCodec.encode(record))).toBe(expected)
    expect(consolidationRecordCodec.decode(Buffer.from(expected, 'hex')).trackInvocation).toEqual(
      record.trackInvocation,
    )
  })
})

describe('golden UCAN archives (deterministic ed25519 signatures)', () => {
  const trackInvocation = async () => {
    const [space, node, client] = [await fixedSigner(1), await fixedSigner(2), await fixedSigner(3)]
    const capability = { can: 'space/egress/track', with: space.did(), nb: {} } as const
    const invocation = await invoke({
      issuer: client,
      audience: node,
      capability,
      expiration: 1_700_000_000,
    }).delegate()
    return { invocation, node }
  }

  it('consolidation record with a real track invocation archive', async () => {
    const { invocation } = await trackInvocation()
    expect(invocation.cid.toString()).toBe('bafyreiex4f5ja6rqdqr3tglh6pg7rtnt43rrsfzf5uz5h742ctzzbkuglq')
    const archive = await Delegation.archive(invocation)
    expect(sha256Hex(archive.ok ?? new Uint8Array())).toBe(
      'd066fbf7019f3fb2d018cabf23c5a5a3c85e832203c51dfac19b2ff49200cede',
    )
    const record = consolidationRecordCodec.encode({
      trackInvocation: archive.ok ?? new Uint8Array(),
      consolidateInvocationCID: task,
    })
    expect(record.byteLength).toBe(545)
    expect(sha256Hex(record)).toBe('e082318cb5e98430e49dcf8c13a600afbe404ea6a7d7baf3ca1003642cca5f96')
  })

  it('receipt CAR', async () => {
    const { invocation, node } = await trackInvocation()
    const receipt = await Receipt.issue({ issuer: node, ran: invocation, result: { ok: {} } })
    expect(receipt.link().toString()).toBe('bafyreifnuidvztlquwlb3zpixakwqepilac74r5rzcim2knkh7xjvqtfvq')
    const car = encodeReceipt(receipt)
    expect(car.byteLength).toBe(623)
    expect(sha256Hex(car)).toBe('65e6f02bd12d1ac6b095d5b6e269880f2ed6bcff9875708b41d73fb7e76bff0b')
    expect(decodeReceipt(car).ran.link().toString()).toBe(invocation.cid.toString())
  })
})
