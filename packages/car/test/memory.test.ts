import { peakMemoryGrowth } from '@strata/objectstore/testing'
import { afterAll, describe, expect, it } from 'vitest'
import { CarStore } from '../src/index.js'
import { largeCar } from '../src/testing/data.js'
import { type Backend, filesystem } from './large-helpers.js'

const MiB = 1024 * 1024

// In a file of its own: a fresh worker, so the baseline is not another test's garbage.
describe('a 1 GiB CAR of 256 KiB blocks on flatfs', () => {
  let backend: Backend | undefined
  afterAll(async () => {
    await backend?.close()
  })

  it('imports with bounded memory', async () => {
    backend = await filesystem()
    const cars = new CarStore(backend)
    const car = largeCar({ leaves: 4096, leafSize: 256 * 1024, leafCodec: 'raw' })
    car.root()
    let blocks = 0
    const started = performance.now()
    const growth = await peakMemoryGrowth(async () => {
      blocks = (await cars.importCar(car.stream())).blocks
    })
    const seconds = (performance.now() - started) / 1000
    console.log(
      `1 GiB of 256 KiB blocks on flatfs: ${seconds.toFixed(1)} s, peak memory growth ${(growth / MiB).toFixed(1)} MiB`,
    )
    expect(blocks).toBe(4096 + 133)
    expect(growth).toBeLessThan(64 * MiB)
  })
})
