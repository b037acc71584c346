import { expect } from 'vitest'
import type { CarStore } from '../src/index.js'
import type { largeCar } from '../src/testing/data.js'

/**
 * Reads every block of a generated CAR back through `getBlock` (`concurrency` at a time) and
 * checks its bytes. `getBlock` itself re-hashes each one.
 */
export async function expectEveryBlock(
  cars: CarStore,
  car: ReturnType<typeof largeCar>,
  concurrency: number,
): Promise<void> {
  let checked = 0
  const running = new Set<Promise<void>>()
  for (const block of car.blocks()) {
    const read = cars.getBlock(block.cid).then((bytes) => {
      if (Buffer.compare(bytes, block.bytes) !== 0) throw new Error(`block ${block.cid} differs`)
      checked++
      running.delete(read)
    })
    running.add(read)
    if (running.size >= concurrency) await Promise.race(running)
  }
  await Promise.all(running)
  expect(checked).toBeGreaterThan(0)
}
