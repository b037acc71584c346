// Library example (`pnpm example`; `npm start` now runs the server, see apps/server/README-serve.md):
// a flatfs object store under ./data/example, written and read back through the public package,
// exactly as a user's script would.
import { createHash } from 'node:crypto'
import { join } from 'node:path'
import { FlatfsObjectStore } from '@strata/objectstore/flatfs'
import { shardOf } from '@strata/objectstore/flatfs/layout'

const root = join(process.cwd(), 'data', 'example')
const store = new FlatfsObjectStore({ path: root })
await store.open()

const bytes = new TextEncoder().encode(
  'hello from strata: one object, streamed to disk and read back by range\n',
)
const key = createHash('sha256').update(bytes).digest('hex').slice(0, 32)
await store.put(key, bytes.length, bytes)

const { size, body } = await store.get(key, { range: { start: 0, end: 17 } })
let head = ''
for await (const chunk of body) head += Buffer.from(chunk).toString()

console.log(`stored ${size} bytes at ${join(root, shardOf(key), `${key}.data`)}`)
console.log(`bytes 0-17: ${JSON.stringify(head)}`)
for await (const listed of store.list(key.slice(0, 4))) console.log(`listed: ${listed}`)
await store.close()
