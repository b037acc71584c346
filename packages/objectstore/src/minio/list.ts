import type { Client } from 'minio'
import { inScope, type RequestScope } from './transport.js'

/** One page of a ListObjectsV2 answer. */
export interface ListPage {
  keys: string[]
  /** The token for the next page; undefined on the last page. */
  next: string | undefined
}

/**
 * Fetches one ListObjectsV2 page (no delimiter: `prefix` is a raw string prefix), signed and sent
 * by minio.
 *
 * Why not minio's `listObjectsV2Query`: its XML parser turns numeric-looking text into numbers, so
 * key `00` comes back as `""`, `0123` as `123`, and a continuation token that looks numeric (Ceph
 * RGW's token is the last key) breaks paging. The three fields needed here are read from the
 * URL-encoded listing ({@link parseListPage}), where keys are plain ASCII.
 */
export async function listPage(
  client: Client,
  bucket: string,
  prefix: string,
  token: string | undefined,
  pageSize: number,
  scope: RequestScope,
): Promise<ListPage> {
  const query = [
    'list-type=2',
    'encoding-type=url',
    `max-keys=${pageSize}`,
    `prefix=${uriEscape(prefix)}`,
    ...(token === undefined ? [] : [`continuation-token=${uriEscape(token)}`]),
  ]
    .sort()
    .join('&')
  return inScope(scope, async () => {
    const response = await client.makeRequestAsync({ method: 'GET', bucketName: bucket, query }, '', [200])
    const parts: Buffer[] = []
    for await (const chunk of response) parts.push(chunk as Buffer)
    return parseListPage(Buffer.concat(parts).toString('utf8'))
  })
}

/**
 * Reads keys, truncation and continuation token from a ListObjectsV2 `ListBucketResult`.
 * Keys are URL-decoded when the server honoured `encoding-type=url` (`+` is a space there).
 * @throws {Error} when the document is not a ListBucketResult or a truncated page has no token.
 */
export function parseListPage(xml: string): ListPage {
  if (!/<ListBucketResult[\s>]/.test(xml)) throw new Error('S3 list answer is not a ListBucketResult')
  const urlEncoded = textOf(xml, 'EncodingType') === 'url'
  const keys: string[] = []
  for (const contents of xml.matchAll(/<Contents>([\s\S]*?)<\/Contents>/g)) {
    const raw = textOf(contents[1] ?? '', 'Key')
    if (raw === undefined) continue
    keys.push(urlEncoded ? decodeURIComponent(raw.replace(/\+/g, ' ')) : raw)
  }
  const truncated = textOf(xml, 'IsTruncated') === 'true'
  const next = truncated ? textOf(xml, 'NextContinuationToken') : undefined
  if (truncated && !next) throw new Error('S3 list answer is truncated but has no NextContinuationToken')
  return { keys, next }
}

/** The unescaped text of the first `<tag>…</tag>` in `xml` (elements here hold text only). */
function textOf(xml: string, tag: string): string | undefined {
  const match = new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(xml)
  return match?.[1] === undefined ? undefined : unescapeXml(match[1])
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }

function unescapeXml(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);/g, (entity, name: string) => {
    if (name.startsWith('#x')) return String.fromCodePoint(Number.parseInt(name.slice(2), 16))
    if (name.startsWith('#')) return String.fromCodePoint(Number.parseInt(name.slice(1), 10))
    return ENTITIES[name] ?? entity
  })
}

/** RFC 3986 escaping, as SigV4 canonical query strings need it (minio's `uriEscape`). */
function uriEscape(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
}
