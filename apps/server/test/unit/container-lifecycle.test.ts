import { describe, expect, it } from 'vitest'
import { Lifecycle, type Resource } from '../../src/container/lifecycle.js'
import { createReadiness, type Probe } from '../../src/container/readiness.js'
import { ShutdownError, StartupError } from '../../src/errors.js'

function tracked(log: string[], name: string, fail: { open?: boolean; close?: boolean } = {}): Resource {
  return {
    name,
    open: async () => {
      log.push(`open ${name}`)
      if (fail.open) throw new Error(`${name} open failed`)
    },
    close: async () => {
      log.push(`close ${name}`)
      if (fail.close) throw new Error(`${name} close failed`)
    },
  }
}

describe('Lifecycle', () => {
  it('opens in order and closes in reverse', async () => {
    const log: string[] = []
    const lifecycle = new Lifecycle(['a', 'b', 'c'].map((name) => tracked(log, name)))
    await lifecycle.start()
    expect(lifecycle.started).toBe(true)
    await lifecycle.stop()
    expect(lifecycle.started).toBe(false)
    expect(log).toEqual(['open a', 'open b', 'open c', 'close c', 'close b', 'close a'])
  })

  it('closes everything even when closes fail, and aggregates the errors', async () => {
    const log: string[] = []
    const lifecycle = new Lifecycle([
      tracked(log, 'a', { close: true }),
      tracked(log, 'b'),
      tracked(log, 'c', { close: true }),
    ])
    await lifecycle.start()
    const error = await lifecycle.stop().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ShutdownError)
    expect(error).toBeInstanceOf(AggregateError)
    const { errors } = error as ShutdownError
    expect(errors.map((e: Error) => e.message)).toEqual([
      'cannot close c: c close failed',
      'cannot close a: a close failed',
    ])
    expect(log.slice(3)).toEqual(['close c', 'close b', 'close a'])
    await lifecycle.stop() // nothing left open
  })

  it('rolls back a failed start and names the resource', async () => {
    const log: string[] = []
    const lifecycle = new Lifecycle([tracked(log, 'a'), tracked(log, 'b'), tracked(log, 'c', { open: true })])
    const error = await lifecycle.start().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(StartupError)
    expect(error).toMatchObject({ resource: 'c', message: 'cannot open c: c open failed' })
    expect(log).toEqual(['open a', 'open b', 'open c', 'close b', 'close a'])
    expect(lifecycle.started).toBe(false)
  })
})

describe('readiness', () => {
  const started = () => true

  it('is ready when every probe answers', async () => {
    const readiness = createReadiness({ a: async () => true, b: async () => false }, started)
    const report = await readiness()
    expect(report.ready).toBe(true)
    expect(report.checks.a?.ok).toBe(true)
  })

  it('reports the failing probe with a fixed message, and logs its error once', async () => {
    const warned: unknown[] = []
    const logger = { warn: (details: object) => warned.push(details) }
    const enoent = Object.assign(
      new Error("ENOENT: no such file or directory, access '/secret/path/journal'"),
      {
        code: 'ENOENT',
      },
    )
    const readiness = createReadiness(
      {
        a: async () => true,
        b: () => Promise.reject(new Error('boom at http://10.0.0.7:9000/bucket')),
        c: () => Promise.reject(enoent),
      },
      started,
      logger,
    )
    const report = await readiness()
    expect(report.ready).toBe(false)
    // no path, no host: the error's code or name only
    expect(report.checks.b).toMatchObject({ ok: false, error: 'failed' })
    expect(report.checks.c).toMatchObject({ ok: false, error: 'failed (ENOENT)' })
    expect(JSON.stringify(report)).not.toMatch(/secret|10\.0\.0\.7/)
    await readiness()
    expect(warned).toHaveLength(2) // once per failing probe, not per check
  })

  it('is bounded in time even when a probe never answers, and aborts it', async () => {
    let aborted = false
    const hang: Probe = (signal) =>
      new Promise(() => {
        signal.addEventListener('abort', () => {
          aborted = true
        })
      })
    const readiness = createReadiness({ hang, fine: async () => true }, started)
    const t0 = performance.now()
    const report = await readiness({ timeoutMs: 200 })
    expect(performance.now() - t0).toBeLessThan(1000)
    expect(report.ready).toBe(false)
    expect(report.checks.hang).toMatchObject({ ok: false, error: 'timed out after 200 ms' })
    expect(report.checks.fine?.ok).toBe(true)
    expect(aborted).toBe(true)
  })

  it('treats a probe that throws synchronously as failed, with no unhandled rejection when time runs out', async () => {
    const throwing: Probe = () => {
      throw new Error('database is not open')
    }
    const report = await createReadiness({ throwing }, started)({ timeoutMs: 20 })
    expect(report.checks.throwing).toMatchObject({ ok: false, error: 'failed' })
    // Past the timeout: vitest fails the run on an unhandled rejection.
    await new Promise((resolve) => setTimeout(resolve, 60))
  })

  it('is never ready when not started', async () => {
    const report = await createReadiness({ a: async () => true }, () => false)()
    expect(report).toMatchObject({ ready: false, checks: { started: { ok: false, error: 'not started' } } })
  })
})
