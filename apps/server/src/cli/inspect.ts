import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { resolve } from 'node:path'
import { type CarInspection, inspectCar } from '@strata/car'
import { CID } from 'multiformats/cid'
import { httpFailure, request } from './http.js'
import { CliError, type CliIo, println } from './io.js'
import { formatBytes } from './progress.js'
import { resolveTarget } from './target.js'

/** Options of `strata inspect`. */
export interface InspectOptions {
  /** A CAR file, or the CID of a root the server exports. */
  source: string
  url?: string
  config?: string
}

/**
 * `strata inspect <file.car | cid> [--url base]`, as adenosine's `inspect`: version, roots, size,
 * block count, the blocks per codec and per hash function, total and largest block size, the links
 * that point outside the CAR. A file is read locally (no server); a CID is exported by the server
 * (`GET /car/:cid`) and inspected as it streams. Every block's hash is checked.
 * @throws {CliError} exit 1 when the file cannot be read, is not a CAR (naming the byte offset),
 *   or the server fails; exit 2 when `source` is neither a file nor a CID.
 */
export async function inspect(io: CliIo, options: InspectOptions): Promise<number> {
  const path = resolve(io.cwd, options.source)
  const isFile = await stat(path).then(
    (info) => info.isFile(),
    () => false,
  )
  let body: AsyncIterable<Uint8Array>
  if (isFile) {
    body = createReadStream(path, { highWaterMark: 1024 * 1024 })
  } else {
    let cid: CID
    try {
      cid = CID.parse(options.source)
    } catch {
      throw new CliError(`${options.source}: no such file, and not a CID`, 2)
    }
    const { url } = await resolveTarget(io, options.url, options.config)
    const response = await request(`${url}/car/${cid}`)
    if (!response.ok) throw await httpFailure(response, `GET /car/${cid}`)
    body = (response.body ?? []) as AsyncIterable<Uint8Array>
  }
  let report: CarInspection
  try {
    report = await inspectCar(body)
  } catch (error) {
    const name = (error as { name?: unknown }).name
    throw new CliError(`${options.source}: ${name}: ${(error as Error).message}`, 1)
  }
  for (const line of formatInspection(report)) println(io.stdout, line)
  return 0
}

/** The report's lines: `key  value`, aligned. */
export function formatInspection(report: CarInspection): string[] {
  const tally = (counts: Record<string, number>) =>
    Object.entries(counts)
      .sort(([, a], [, b]) => b - a)
      .map(([name, count]) => `${name} ${count}`)
      .join(', ') || '-'
  const largest = report.largestBlock
  const lines: Array<[string, string]> = [
    ['version', String(report.version)],
    ...(report.roots.length === 0
      ? ([['roots', '-']] as Array<[string, string]>)
      : report.roots.map((root): [string, string] => ['root', root.toString()])),
    ['size', `${formatBytes(report.size)} (${report.size} bytes)`],
    ['blocks', String(report.blocks)],
    ['codecs', tally(report.codecs)],
    ['hashes', tally(report.hashes)],
    ['block bytes', `${formatBytes(report.totalBlockBytes)} (${report.totalBlockBytes} bytes)`],
    [
      'largest',
      largest === undefined ? '-' : `${formatBytes(largest.size)} (${largest.size} bytes) ${largest.cid}`,
    ],
    ['outside', `${report.outsideLinkCount} link(s) to blocks not in the CAR`],
    ...report.outsideLinks.map((cid): [string, string] => ['  ->', cid.toString()]),
  ]
  if (report.undecodable > 0) lines.push(['undecodable', `${report.undecodable} block(s)`])
  return lines.map(([key, value]) => `${key.padEnd(12)} ${value}`)
}
