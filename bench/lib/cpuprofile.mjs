// Summarises a V8 `.cpuprofile` (written by `node --cpu-prof`): self time per function, top first.
import { readFile } from 'node:fs/promises'

/**
 * Answers `{ totalMs, top: [{ name, location, selfMs, percent }] }` for the `limit` functions with
 * the most self time (samples whose top frame is the function), merged by name + location.
 */
export async function topSelfTime(file, limit = 15) {
  const profile = JSON.parse(await readFile(file, 'utf8'))
  const byId = new Map(profile.nodes.map((node) => [node.id, node]))
  const counts = new Map()
  for (const id of profile.samples) counts.set(id, (counts.get(id) ?? 0) + 1)
  const interval = (profile.endTime - profile.startTime) / 1000 / Math.max(1, profile.samples.length)
  const merged = new Map()
  const categories = new Map()
  for (const [id, count] of counts) {
    const category = categoryOf(byId.get(id).callFrame)
    categories.set(category, (categories.get(category) ?? 0) + count)
    const { callFrame } = byId.get(id)
    const name = callFrame.functionName || '(anonymous)'
    const url = callFrame.url.replace(/^file:\/\//, '').replace(/^.*\/node_modules\//, '')
    const location = url ? `${url.split('/').slice(-3).join('/')}:${callFrame.lineNumber + 1}` : ''
    const key = `${name} ${location}`
    const entry = merged.get(key) ?? { name, location, samples: 0 }
    entry.samples += count
    merged.set(key, entry)
  }
  const total = profile.samples.length
  const top = [...merged.values()]
    .sort((a, b) => b.samples - a.samples)
    .slice(0, limit)
    .map(({ name, location, samples }) => ({
      name,
      location,
      selfMs: Math.round(samples * interval),
      percent: Number(((samples / total) * 100).toFixed(1)),
    }))
  const byCategory = Object.fromEntries(
    [...categories.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([category, samples]) => [category, Number(((samples / total) * 100).toFixed(1))]),
  )
  return { totalMs: Math.round(total * interval), byCategory, top }
}

/** A coarse bucket for a frame: the package (node_modules), node internals by area, natives, strata. */
function categoryOf({ url, functionName }) {
  if (url === '') {
    if (/^\((idle|program|garbage collector)\)$/.test(functionName)) return functionName
    return 'native (fs/syscalls, buffers)'
  }
  const inPackage = url.lastIndexOf('/node_modules/')
  if (inPackage >= 0) {
    const [scope, name] = url.slice(inPackage + '/node_modules/'.length).split('/')
    return scope.startsWith('@') ? `${scope}/${name}` : scope
  }
  if (url.startsWith('node:internal/webstreams')) return 'node web streams'
  if (url.startsWith('node:internal/modules') || url.startsWith('node:internal/bootstrap'))
    return 'module loading'
  if (url.startsWith('node:')) return `node ${url.slice(5).split('/').slice(0, 2).join('/')}`
  if (url.includes('/packages/')) return `strata ${url.split('/packages/')[1].split('/')[0]}`
  if (url.includes('/apps/server/')) return `strata server ${url.split('/dist/')[1]?.split('/')[0] ?? ''}`
  return url
}
