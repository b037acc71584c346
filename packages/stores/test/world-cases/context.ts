import { randomBytes } from 'node:crypto'
import { afterEach } from 'vitest'
import { type Backends, type World, type WorldOptions, world } from '../world.js'

/** What each case file gets: a fresh world per call, removed after the test. */
export interface WorldContext {
  make(options?: WorldOptions): Promise<World & { backends: Backends }>
}

/** Registers the clean-up in the enclosing `describe` and answers the context. */
export function useWorlds(backends: () => Promise<Backends>): WorldContext {
  const made: Backends[] = []
  afterEach(async () => {
    for (const each of made.splice(0)) await each.destroy()
  })
  return {
    async make(options = {}) {
      const opened = await backends()
      made.push(opened)
      return { ...world(opened, options), backends: opened }
    },
  }
}

/** Random bytes as content. */
export const bytes = (size = 64) => new Uint8Array(randomBytes(size))

/** A DID no other test uses. */
export const did = () => `did:plc:${randomBytes(12).toString('hex')}`

/** Reads a whole stream. */
export async function readAll(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Uint8Array[] = []
  for await (const chunk of stream) chunks.push(chunk)
  return Buffer.concat(chunks)
}

/** A clock `ms` ahead of now: everything stored so far looks that old. */
export const ahead = (ms: number) => () => Date.now() + ms
