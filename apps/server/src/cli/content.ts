/**
 * `strata label get|set|rm|ls`, `strata owner stat|ls|wipe` and `strata gc`: thin clients of the
 * labels, owners and gc routes. Single answers print as JSON; listings print one line per item
 * (tab-separated), every page followed.
 * @packageDocumentation
 */
import { httpFailure, request } from './http.js'
import { type CliIo, println } from './io.js'
import { resolveTarget, resolveToken } from './target.js'

/** Where and as whom a content command talks. */
export interface ContentTarget {
  url?: string
  token?: string
  config?: string
}

/** Options of `strata label set`. */
export interface LabelSetOptions extends ContentTarget {
  owner?: string
  /** `If-Match`: only at this version. */
  ifVersion?: string
  /** `If-None-Match: *`: only if the label does not exist. */
  create?: boolean
}

const segment = (text: string) => encodeURIComponent(text)

/** An HTTP call of a content command: answers the JSON body, or throws a `CliError` (exit 1). */
async function call(
  io: CliIo,
  target: ContentTarget,
  method: string,
  path: string,
  options: { write?: boolean; body?: unknown; headers?: Record<string, string> } = {},
): Promise<unknown> {
  const { url, config } = await resolveTarget(io, target.url, target.config)
  const headers: Record<string, string> = { ...options.headers }
  if (options.write)
    headers.authorization = `Bearer ${await resolveToken(io, target.token, target.config, config)}`
  if (options.body !== undefined) headers['content-type'] = 'application/json'
  const response = await request(`${url}${path}`, {
    method,
    headers,
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  })
  if (!response.ok) throw await httpFailure(response, `${method} ${path.split('?')[0]}`)
  return response.status === 204 ? undefined : response.json()
}

const printJson = (io: CliIo, value: unknown) => println(io.stdout, JSON.stringify(value, null, 2))

/** `strata label get <name>`: the label as JSON. */
export async function labelGet(io: CliIo, name: string, target: ContentTarget): Promise<number> {
  printJson(io, await call(io, target, 'GET', `/labels/${segment(name)}`))
  return 0
}

/** `strata label set <name> <ref> [--owner] [--if-version | --create]`: the label written, as JSON. */
export async function labelSet(
  io: CliIo,
  name: string,
  ref: string,
  options: LabelSetOptions,
): Promise<number> {
  const headers: Record<string, string> = {}
  if (options.ifVersion !== undefined) headers['if-match'] = `"${options.ifVersion}"`
  if (options.create) headers['if-none-match'] = '*'
  const body = { ref, ...(options.owner === undefined ? {} : { owner: options.owner }) }
  printJson(io, await call(io, options, 'PUT', `/labels/${segment(name)}`, { write: true, body, headers }))
  return 0
}

/** `strata label rm <name> [--if-version]`. */
export async function labelRm(
  io: CliIo,
  name: string,
  options: ContentTarget & { ifVersion?: string },
): Promise<number> {
  const headers: Record<string, string> =
    options.ifVersion === undefined ? {} : { 'if-match': `"${options.ifVersion}"` }
  await call(io, options, 'DELETE', `/labels/${segment(name)}`, { write: true, headers })
  return 0
}

/** `strata label ls [prefix]`: `<name>\t<ref>\t<version>` per label, in name order. */
export async function labelLs(io: CliIo, prefix: string, target: ContentTarget): Promise<number> {
  let cursor: string | undefined
  do {
    const query = new URLSearchParams({ prefix, ...(cursor === undefined ? {} : { cursor }) })
    const page = (await call(io, target, 'GET', `/labels?${query}`)) as {
      labels: { name: string; ref: string; version: string }[]
      cursor?: string
    }
    for (const label of page.labels) println(io.stdout, `${label.name}\t${label.ref}\t${label.version}`)
    cursor = page.cursor
  } while (cursor !== undefined)
  return 0
}

/** `strata owner stat <did>`: `{ did, blobs, bytes, labels }`. */
export async function ownerStat(io: CliIo, did: string, target: ContentTarget): Promise<number> {
  printJson(io, await call(io, target, 'GET', `/owners/${segment(did)}`))
  return 0
}

/** `strata owner ls <did>`: `<digest>\t<size>` per blob the owner holds. */
export async function ownerLs(io: CliIo, did: string, target: ContentTarget): Promise<number> {
  let cursor: string | undefined
  do {
    const query = cursor === undefined ? '' : `?${new URLSearchParams({ cursor })}`
    const page = (await call(io, target, 'GET', `/owners/${segment(did)}/blobs${query}`)) as {
      blobs: { digest: string; size: number }[]
      cursor?: string
    }
    for (const blob of page.blobs) println(io.stdout, `${blob.digest}\t${blob.size}`)
    cursor = page.cursor
  } while (cursor !== undefined)
  return 0
}

/** `strata owner wipe <did>`: what was removed, as JSON. */
export async function ownerWipe(io: CliIo, did: string, target: ContentTarget): Promise<number> {
  printJson(io, await call(io, target, 'DELETE', `/owners/${segment(did)}`, { write: true }))
  return 0
}

/** `strata gc [--dry-run]`: the run's result, as JSON. */
export async function gc(io: CliIo, options: ContentTarget & { dryRun?: boolean }): Promise<number> {
  const query = options.dryRun ? '?dryRun=1' : ''
  printJson(io, await call(io, options, 'POST', `/gc${query}`, { write: true }))
  return 0
}
