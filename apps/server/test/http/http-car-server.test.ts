/**
 * The CAR and block routes as the server mounts them, over each deployment's stores (memory;
 * filesystem: flatfs blobs, LevelDB block index and records): import, blocks, export.
 */
import { carOf, sampleDag } from '@strata/car/testing/data'
import { describe, expect, it } from 'vitest'
import { BACKENDS, expectError, TOKEN, useWriteCtx } from '../helpers/http-write-fixtures.js'

describe.each(BACKENDS)('CAR routes on %s', (backend) => {
  const ctx = useWriteCtx(backend)

  it('imports a CAR, serves its blocks verified and exports it as stored', async () => {
    const dag = sampleDag()
    const car = carOf([dag.root], dag.blocks)
    const res = await ctx().app.request('/car', {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-length': String(car.length) },
      body: car,
    })
    expect(res.status).toBe(201)
    const { digest, blocks } = (await res.json()) as { digest: string; blocks: number }
    expect(blocks).toBe(dag.blocks.length)
    for (const block of dag.blocks) {
      const got = await ctx().app.request(`/block/${block.cid}`)
      expect(got.status).toBe(200)
      expect(Buffer.from(await got.arrayBuffer())).toEqual(Buffer.from(block.bytes))
    }
    const exported = await ctx().app.request(`/car/${dag.root}`)
    expect(Buffer.from(await exported.arrayBuffer())).toEqual(Buffer.from(car))
    // the CAR is a blob like any other
    const blob = await ctx().app.request(`/blob/${digest}`)
    expect(Buffer.from(await blob.arrayBuffer())).toEqual(Buffer.from(car))
  })

  it('refuses a CAR over server.maxBlobSize before reading it', async () => {
    const res = await ctx().app.request('/car', {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-length': String(10 * 1024 * 1024) },
      body: new Uint8Array(16),
    })
    await expectError(res, 413, 'TooLargeError')
  })
})
