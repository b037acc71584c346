import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { createInterface, type Interface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { MinioObjectStore } from '@strata/objectstore/minio'
import { readAll, utf8 } from '@strata/objectstore/testing'
import { createTestBucket, describeS3, type TestBucket } from '@strata/testkit'
import { afterAll, beforeAll, expect, it } from 'vitest'

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..')
const WRITER = join(packageDir, 'test', 'fixtures', 'race-writer.mjs')
const WRITERS_PER_PROCESS = 12
const ROUNDS = 5

interface Outcome {
  body: string
  ok: boolean
  error?: string
}

/** A writer process (the built package, its own S3 client) and its stdout lines. */
interface Writer {
  child: ChildProcess
  lines: AsyncIterator<string>
  input: Interface
}

// Item 1 of issue 16: compare-and-swap on S3 holds across processes, not only across the promises of
// one process: N writers with the same expected etag in each of two processes, exactly one wins.
describeS3('MinioObjectStore conditional puts from two processes', (settings) => {
  let bucket: TestBucket
  let store: MinioObjectStore
  const writers: Writer[] = []

  beforeAll(async () => {
    if (!existsSync(join(packageDir, 'dist', 'minio', 'index.js'))) {
      throw new Error('@strata/objectstore has no dist/: run `pnpm build` first')
    }
    bucket = await createTestBucket(settings, 'race-processes')
    store = new MinioObjectStore({ client: bucket.client, bucket: bucket.name })
    await store.open()
    for (const tag of ['a', 'b']) {
      const child = spawn(process.execPath, [WRITER], {
        cwd: packageDir,
        stdio: ['pipe', 'pipe', 'inherit'],
        env: {
          ...process.env,
          ENDPOINT: settings.endpoint,
          ACCESS_KEY: settings.accessKey,
          SECRET_KEY: settings.secretKey,
          REGION: settings.region,
          BUCKET: bucket.name,
          KEY: 'raced',
          WRITERS: String(WRITERS_PER_PROCESS),
          TAG: tag,
        },
      })
      const input = createInterface({ input: child.stdout as NodeJS.ReadableStream })
      const lines = input[Symbol.asyncIterator]()
      expect((await lines.next()).value).toBe('ready')
      writers.push({ child, lines, input })
    }
  })

  afterAll(async () => {
    for (const { child } of writers) {
      child.stdin?.end()
      if (child.exitCode === null) await new Promise((resolve) => child.once('exit', resolve))
    }
    await store?.close()
    await bucket?.destroy()
  })

  it(`lets exactly one of 2 x ${WRITERS_PER_PROCESS} writers win, ${ROUNDS} rounds`, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const base = `base-${round}`
      await store.put('raced', base.length, utf8(base))
      const { etag } = await store.stat('raced')
      for (const { child } of writers) child.stdin?.write(`go ${etag}\n`)
      const answers = await Promise.all(writers.map(({ lines }) => lines.next()))
      const outcomes = answers.flatMap(({ value }) => JSON.parse(String(value)) as Outcome[])
      expect(outcomes).toHaveLength(2 * WRITERS_PER_PROCESS)
      const winners = outcomes.filter((outcome) => outcome.ok)
      expect(winners, `round ${round}`).toHaveLength(1)
      const losers = outcomes.filter((outcome) => !outcome.ok)
      expect(new Set(losers.map((outcome) => outcome.error))).toEqual(new Set(['PreconditionFailedError']))
      const stored = Buffer.from(await readAll((await store.get('raced')).body)).toString()
      expect(stored).toBe(winners[0]?.body)
    }
  })
})
