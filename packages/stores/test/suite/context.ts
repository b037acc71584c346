import type { ObjectStore } from '@strata/objectstore'
import { afterAll, beforeAll } from 'vitest'

/** How a suite gets the backend the stores run on. */
export interface BackendSuiteOptions {
  /** Answers an opened backend; called once per suite. */
  create(): Promise<ObjectStore>
  /** Closes and removes what `create` made. */
  destroy?(backend: ObjectStore): Promise<void>
  /** The key suffix the record stores get, as the server would set it (`.cbor` on S3). */
  keySuffix?: string
}

/** What each case file sees: the live backend (after `beforeAll`) and the suffix in use. */
export interface SuiteContext {
  backend(): ObjectStore
  keySuffix: string
}

/** Registers the backend's lifecycle in the enclosing `describe` and answers the context. */
export function useBackend(options: BackendSuiteOptions): SuiteContext {
  let backend: ObjectStore | undefined
  beforeAll(async () => {
    backend = await options.create()
  })
  afterAll(async () => {
    if (backend) await options.destroy?.(backend)
  })
  return {
    backend: () => {
      if (!backend) throw new Error('backend not created yet')
      return backend
    },
    keySuffix: options.keySuffix ?? '',
  }
}

/** Every key stored on `backend` under `prefix`, sorted. */
export async function keysUnder(backend: ObjectStore, prefix: string): Promise<string[]> {
  const keys: string[] = []
  for await (const key of backend.list(prefix)) keys.push(key)
  return keys.sort()
}

/** Reads a whole object. */
export async function readObject(backend: ObjectStore, key: string): Promise<Uint8Array> {
  const { body } = await backend.get(key)
  const chunks: Uint8Array[] = []
  for await (const chunk of body) chunks.push(chunk)
  return new Uint8Array(Buffer.concat(chunks))
}

/** Writes a whole object. */
export async function writeObject(backend: ObjectStore, key: string, bytes: Uint8Array): Promise<void> {
  await backend.put(key, bytes.byteLength, bytes)
}
