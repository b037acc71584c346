/**
 * What must never leave the node: the bearer token, the identity key and the presign secret
 * derived from it, and the presigned URLs' signatures. The real server (filesystem, log level
 * `debug`) runs a workload of uploads, downloads, failed auth and bad input; then its whole
 * output and every public answer are searched for each secret. Local files that hold secrets
 * are not reachable over HTTP, whatever the path spelling.
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { LevelKeyStore } from '@strata/local/keystore'
import { type Child, startChild } from '@strata/testkit'
import { afterAll, describe, expect, it } from 'vitest'
import { IDENTITY_KEY_NAME, presignCredentials } from '../../src/identity/index.js'
import { blobOf, upload } from '../helpers/crash-helpers.js'
import { allocate, send } from '../helpers/e2e-helpers.js'

describe('secrets never leave the node', () => {
  let dataDir = ''
  let child: Child | undefined
  afterAll(async () => {
    await child?.stop()
    if (dataDir) await rm(dataDir, { recursive: true, force: true })
  })

  it('keeps the token, the identity key, the presign secret and URL signatures out of logs and answers', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'strata-secrets-'))
    child = await startChild({
      backend: 'filesystem',
      dataDir,
      env: { STRATA_LOG_LEVEL: 'debug' },
      generatedToken: true,
    })
    const { token } = child
    const { url } = child
    const answers: string[] = []
    const keep = (res: { status: number; headers: object; body: Buffer }) => {
      answers.push(JSON.stringify(res.headers), res.body.toString('latin1'))
      return res
    }
    const health = keep(await send(`${url}/healthz`, 'GET'))
    const space = (JSON.parse(health.body.toString()) as { did: string }).did

    // a normal upload and download, and a presigned URL whose signature we will look for
    const blob = await blobOf(100_000, 7)
    expect(await upload(url, space, blob, undefined, token)).toBe(201)
    keep(await send(`${url}/blob/${blob.z}`, 'GET', { range: 'bytes=0-99' }))
    const other = await blobOf(2048, 8)
    const { allocation } = await allocate(url, token, space, other.z, other.size)
    const signature = new URL(allocation.url as string).searchParams.get('X-Amz-Signature') ?? ''
    expect(signature).toMatch(/^[0-9a-f]{64}$/)
    // the signature replayed for another digest, a wrong token, a bad digest, the probes
    const replay = (allocation.url as string).replace(other.z, blob.z)
    keep(await send(replay, 'PUT', allocation.headers, 'x'.repeat(other.size)))
    keep(await send(`${url}/allocations`, 'POST', { authorization: `Bearer ${token}x` }, '{}'))
    keep(await send(`${url}/blob/not-a-digest`, 'GET'))
    for (const path of ['/readyz', '/metrics', '/healthz']) keep(await send(`${url}${path}`, 'GET'))

    // the files that hold secrets, asked for by every spelling: never served
    for (const path of [
      '/auth-token',
      '/wallet',
      '/blob/..%2fauth-token',
      '/blob/%2e%2e%2fauth-token',
      '/blob/..%2f..%2fauth-token',
      '/claim/..%2fauth-token',
      '/receipts/..%2fwallet',
      '/data/auth-token',
    ]) {
      const res = keep(await send(`${url}${path}`, 'GET'))
      expect({ path, status: res.status }).toEqual({ path, status: res.status === 400 ? 400 : 404 })
    }
    await child.stop()

    // the secrets themselves, read from the disk they live on
    const wallet = new LevelKeyStore({ path: join(dataDir, 'wallet') })
    await wallet.open()
    const key = await wallet.get(IDENTITY_KEY_NAME)
    await wallet.close()
    const { secretAccessKey } = presignCredentials(space, key)
    expect((await readFile(join(dataDir, 'auth-token'), 'utf8')).trim()).toBe(token)
    expect(token.length).toBeGreaterThanOrEqual(32)
    const secrets = {
      token,
      secretAccessKey,
      signature,
      keyHex: Buffer.from(key).toString('hex'),
      keyBase64: Buffer.from(key).toString('base64'),
    }
    const logs = child.output.join('\n')
    // the request log was captured (one line per request, paths but never queries)
    expect(logs).toContain('"path":"/allocations"')
    for (const [name, secret] of Object.entries(secrets)) {
      expect({ name, inLogs: logs.includes(secret) }).toEqual({ name, inLogs: false })
      expect({ name, inAnswers: answers.some((text) => text.includes(secret)) }).toEqual({
        name,
        inAnswers: false,
      })
    }
    // and the files are private to the node's user
    expect((await stat(join(dataDir, 'auth-token'))).mode & 0o077).toBe(0)
    expect((await stat(join(dataDir, 'wallet'))).mode & 0o077).toBe(0)
  })
})
