/**
 * `POST /receipts`: a retrieval receipt's archive appended to the retrieval journal, then served in
 * its batch by `GET /receipts/:batch`. Each bad input gets its status and appends nothing.
 */
import { decodeEntry, encodeEntry } from '@strata/local/journal'
import { CAR, invoke } from '@ucanto/core'
import { ed25519 } from '@ucanto/principal'
import { describe, expect, it } from 'vitest'
import { MAX_RECEIPT_ARCHIVE_BYTES } from '../../src/http/index.js'
import { retrievalReceipt } from '../helpers/e2e-helpers.js'
import { auth, BACKENDS, expectError, useWriteCtx } from '../helpers/http-write-fixtures.js'

const car = { ...auth, 'content-type': 'application/vnd.ipld.car' }

describe.each(BACKENDS)('POST /receipts on %s', (backend) => {
  const ctx = useWriteCtx(backend)

  it('appends the receipt; its rotated batch holds it, block for block', async () => {
    const receipts = [await retrievalReceipt(1), await retrievalReceipt(2)]
    const entries: string[] = []
    for (const receipt of receipts) {
      const archive = await encodeEntry(receipt)
      const res = await ctx().app.request('/receipts', { method: 'POST', headers: car, body: archive.bytes })
      expect(res.status).toBe(201)
      const answer = (await res.json()) as { entry: string; receipt: string }
      expect(answer).toEqual({ entry: archive.cid.toString(), receipt: receipt.root.cid.toString() })
      entries.push(answer.entry)
    }
    expect(ctx().cradle.journal.status.entries).toBe(2)
    const batch = await ctx().cradle.journal.forceRotate()
    const res = await ctx().app.request(`/receipts/${batch}`)
    expect(res.status).toBe(200)
    const blocks = [...CAR.decode(new Uint8Array(await res.arrayBuffer())).blocks.values()]
    expect(blocks.map((block) => block.cid.toString())).toEqual(entries)
    expect(blocks.map((block) => decodeEntry(block.bytes).root.cid.toString())).toEqual(
      receipts.map((receipt) => receipt.root.cid.toString()),
    )
  })

  it('answers each bad input with its status and appends nothing', async () => {
    const archive = await encodeEntry(await retrievalReceipt(3))
    const before = ctx().cradle.journal.status
    const cases: {
      body: Uint8Array | string
      headers?: Record<string, string>
      status: number
      name: string
    }[] = [
      // no bearer token / a wrong one → 401
      {
        body: archive.bytes,
        headers: { 'content-type': car['content-type'] },
        status: 401,
        name: 'Unauthorized',
      },
      {
        body: archive.bytes,
        headers: { ...car, authorization: 'Bearer wrong-token-123456' },
        status: 401,
        name: 'Unauthorized',
      },
      // not a CAR, an empty body, a CAR cut short, a CAR that is not a receipt archive → 400
      { body: 'hello', status: 400, name: 'BadRequest' },
      { body: new Uint8Array(), status: 400, name: 'BadRequest' },
      { body: archive.bytes.subarray(0, archive.bytes.length - 7), status: 400, name: 'BadRequest' },
      { body: await notAReceipt(), status: 400, name: 'BadRequest' },
      // over the limit → 413, whatever the bytes
      { body: new Uint8Array(MAX_RECEIPT_ARCHIVE_BYTES + 1), status: 413, name: 'TooLargeError' },
    ]
    for (const { body, headers, status, name } of cases) {
      const res = await ctx().app.request('/receipts', { method: 'POST', headers: headers ?? car, body })
      await expectError(res, status, name)
    }
    expect(ctx().cradle.journal.status).toEqual({ ...before, entries: 0 })
  })
})

/** A well-formed CAR whose root is a delegation's block, not a receipt archive variant. */
async function notAReceipt(): Promise<Uint8Array> {
  const node = await ed25519.generate()
  const delegation = await invoke({
    issuer: node,
    audience: node,
    capability: { can: 'space/content/retrieve', with: node.did() },
  }).delegate()
  return CAR.encode({
    roots: [delegation.root],
    blocks: new Map([[delegation.root.cid.toString(), delegation.root]]),
  })
}
