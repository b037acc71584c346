import { describeS3 } from '@strata/testkit'
import { describe, expect, it } from 'vitest'
import { type SoakOptions, soak } from './soak/soak.js'
import { type Backends, diskBackends, s3Backends, world } from './world.js'

/** Runs the soak on fresh backends and checks its two promises: nothing reachable lost, nothing else left. */
async function run(backends: Backends, options: SoakOptions, label: string) {
  const started = Date.now()
  try {
    const w = world(backends, { graceMs: options.graceMs, waitMs: 5_000 })
    const report = await soak(w, options)
    console.log(
      `gc soak on ${label}: ${JSON.stringify({ ...report, seconds: (Date.now() - started) / 1000 })}`,
    )
    expect(report.lost).toEqual([])
    expect(report.leftOver).toEqual([])
    expect(report.gcRuns).toBeGreaterThanOrEqual(options.rounds)
    expect(report.deletedDuringSoak).toBeGreaterThan(0)
    expect(report.reachableChecked).toBeGreaterThan(0)
  } finally {
    await backends.destroy()
  }
}

describe('GC soak on flatfs + LevelDB', () => {
  it('loses no reachable blob and leaves no unreachable one, 8 rounds', async () => {
    await run(await diskBackends(), { rounds: 8, uploads: 25, cars: 10, flips: 30, graceMs: 200 }, 'flatfs')
  })
})

describeS3('GC soak on S3 (Ceph RGW)', (settings) => {
  it('loses no reachable blob and leaves no unreachable one, 4 rounds', async () => {
    await run(
      await s3Backends(settings, 'soak'),
      { rounds: 4, uploads: 12, cars: 5, flips: 15, graceMs: 1500 },
      'S3',
    )
  })
})
