/**
 * N instances, one key file, one S3 bucket set (the BUILT server; `pnpm build` first): two
 * `strata serve` processes with separate data dirs and the same `identity.keyFile` and
 * `server.publicUrl` (the load balancer's origin) report the same DID, and an upload presigned by
 * one is accepted by the other when it arrives with the Host the URL was signed for (as a proxy
 * that keeps `Host` delivers it), then reads back from both.
 */
import { randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type Child, describeS3, s3TestClient, startChild } from '@strata/testkit'
import { afterAll, expect, it } from 'vitest'
import { generatePem, signerFromPem } from '../../src/identity/index.js'
import { allocate, send, xorshiftBytes } from '../helpers/e2e-helpers.js'
import { digestOf } from '../helpers/piri-fixture.js'
import { dropStoreBuckets, s3Env } from '../helpers/s3-helpers.js'

/** The origin both instances are published under (nothing listens there: the test plays the proxy). */
const PUBLIC_URL = 'http://blobs.strata.test:8080'

describeS3('two instances sharing one key file on one S3 bucket set', (settings) => {
  const client = s3TestClient(settings)
  const prefix = `strata-shared-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}-`
  const children: Child[] = []
  let dir: string | undefined

  afterAll(async () => {
    for (const child of children) await child.stop()
    await dropStoreBuckets(client, prefix)
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  it('report one DID, and accept and serve each other’s presigned uploads', async () => {
    dir = await mkdtemp(join(tmpdir(), 'strata-shared-'))
    const keyFile = join(dir, 'service.pem')
    const pem = generatePem()
    await writeFile(keyFile, pem, { mode: 0o600 })
    const did = (await signerFromPem(pem, 'test')).did()
    const env = {
      ...s3Env(settings, prefix),
      STRATA_IDENTITY_KEY_FILE: keyFile,
      STRATA_SERVER_PUBLIC_URL: PUBLIC_URL,
    }
    for (const name of ['a', 'b']) {
      const dataDir = join(dir, name)
      await mkdir(dataDir, { mode: 0o700 })
      children.push(await startChild({ backend: 's3', dataDir, env }))
    }
    const [a, b] = children as [Child, Child]
    for (const child of children) {
      expect(await (await fetch(`${child.url}/healthz`)).json()).toEqual({ ok: true, did })
    }

    const bytes = xorshiftBytes(42, 300_000)
    const digest = digestOf(bytes)
    const { allocation } = await allocate(a.url, a.token, did, digest.z, bytes.length)
    const signed = new URL(allocation.url as string)
    expect(signed.origin).toBe(PUBLIC_URL)
    const onB = `${b.url}${signed.pathname}${signed.search}`
    // Sent to B under B's own host, the signature (which covers Host) does not match.
    const wrongHost = await send(onB, 'PUT', allocation.headers, bytes)
    expect(wrongHost.status).toBe(401)
    // Under the Host the URL was signed for, B accepts A's URL: same credentials, A's allocation on S3.
    const put = await send(onB, 'PUT', { ...allocation.headers, host: signed.host }, bytes)
    expect(put.status, put.body.toString()).toBe(201)
    for (const child of children) {
      const got = await send(`${child.url}/blob/${digest.z}`, 'GET')
      expect(got.status).toBe(200)
      expect(got.body.equals(bytes)).toBe(true)
    }
    const stored = await client.statObject(`${prefix}blobs`, digest.flatfsKey)
    expect(stored.size).toBe(bytes.length)
  })
})
