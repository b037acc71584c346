/**
 * Content negotiation of the IPFS Trustless Gateway (specs.ipfs.tech/http-gateways/trustless-gateway):
 * which response a `GET`/`HEAD /ipfs/{cid}` asks for, from `?format=` (which wins) or the `Accept`
 * header (RFC 9110 §12.5.1: media ranges with `q`), and the CAR parameters (`dag-scope`,
 * `car-version`, `car-order`, `car-dups`, and the `version`/`order`/`dups` media-type parameters).
 * Only what this gateway can serve is accepted: blocks (`application/vnd.ipld.raw`) and CARv1 in
 * depth-first order without duplicates (`application/vnd.ipld.car; version=1; order=dfs; dups=n`).
 * @packageDocumentation
 */
import { HttpError } from '../../errors.js'

/** The block media type. */
export const RAW_MEDIA_TYPE = 'application/vnd.ipld.raw'
/** The CAR media type. */
export const CAR_MEDIA_TYPE = 'application/vnd.ipld.car'
/** The `Content-Type` of every CAR this gateway answers (the only variant it makes). */
export const CAR_CONTENT_TYPE = `${CAR_MEDIA_TYPE}; version=1; order=dfs; dups=n`

/** What a request asks for, once negotiated. */
export type TrustlessAnswer =
  | { format: 'raw'; negotiated: boolean }
  | { format: 'car'; negotiated: boolean; scope: 'all' | 'entity' | 'block' }

/** The request's parts negotiation reads. */
export interface TrustlessQuery {
  /** A query parameter's value, or undefined. */
  query(name: string): string | undefined
  /** The `Accept` header, or undefined. */
  accept: string | undefined
}

const SCOPES = ['all', 'entity', 'block'] as const

const HINT = `ask for ${RAW_MEDIA_TYPE} or ${CAR_MEDIA_TYPE} (Accept header, or ?format=raw or ?format=car)`

const badRequest = (message: string) => new HttpError(400, 'BadRequest', message)

/**
 * Decides the answer. `negotiated` is true when the `Accept` header decided it (the answer then
 * names its URL with `?format=` in `Content-Location`).
 * @throws {HttpError} 400 `BadRequest`: neither `format` nor `Accept` (a trustless gateway serves
 *   no deserialized responses), an unknown `format`, or a CAR parameter it does not serve
 *   (`dag-scope` other than all/entity/block, `car-version` ≠ 1, `car-order` other than dfs/unk,
 *   `car-dups` ≠ n, `entity-bytes`); 406 `NotAcceptable`: `Accept` names no variant it serves.
 */
export function negotiate(request: TrustlessQuery): TrustlessAnswer {
  const format = request.query('format')
  let choice: 'raw' | 'car'
  let negotiated = false
  if (format !== undefined) {
    if (format !== 'raw' && format !== 'car') {
      throw badRequest(`format ${JSON.stringify(format.slice(0, 40))} is not served here: use raw or car`)
    }
    choice = format
  } else if (request.accept === undefined || request.accept.trim() === '') {
    throw badRequest(`this is a trustless gateway: ${HINT}`)
  } else {
    const picked = fromAccept(request.accept)
    if (picked === undefined) {
      throw new HttpError(406, 'NotAcceptable', `none of the accepted types is served here: ${HINT}`)
    }
    choice = picked
    negotiated = true
  }
  if (choice === 'raw') return { format: 'raw', negotiated }
  return { format: 'car', negotiated, scope: carScope(request) }
}

/** The CAR query parameters: `dag-scope` (default all); the others must name what is served. */
function carScope(request: TrustlessQuery): 'all' | 'entity' | 'block' {
  const scope = request.query('dag-scope') ?? 'all'
  if (!(SCOPES as readonly string[]).includes(scope)) {
    throw badRequest(`dag-scope ${JSON.stringify(scope.slice(0, 40))} is not one of all, entity, block`)
  }
  if (request.query('entity-bytes') !== undefined) throw badRequest('entity-bytes is not supported here')
  const version = request.query('car-version')
  if (version !== undefined && version !== '1') throw badRequest('car-version: only CARv1 (1) is served')
  const order = request.query('car-order')
  if (order !== undefined && order !== 'dfs' && order !== 'unk') {
    throw badRequest('car-order: only dfs (or unk) is served')
  }
  const dups = request.query('car-dups')
  if (dups !== undefined && dups !== 'n') throw badRequest('car-dups: only n (each block once) is served')
  return scope as 'all' | 'entity' | 'block'
}

/** The best-ranked variant of `accept` that is served (ties: the first listed), or undefined. */
function fromAccept(accept: string): 'raw' | 'car' | undefined {
  let best: { format: 'raw' | 'car'; q: number } | undefined
  for (const range of accept.split(',')) {
    const [type = '', ...parameters] = range.split(';').map((part) => part.trim())
    const params = new Map<string, string>()
    for (const parameter of parameters) {
      const at = parameter.indexOf('=')
      if (at > 0)
        params.set(parameter.slice(0, at).trim().toLowerCase(), unquote(parameter.slice(at + 1).trim()))
    }
    const q = params.has('q') ? Number(params.get('q')) : 1
    if (!(q > 0 && q <= 1)) continue
    const format = variantOf(type.toLowerCase(), params)
    if (format !== undefined && (best === undefined || q > best.q)) best = { format, q }
  }
  return best?.format
}

function variantOf(type: string, params: Map<string, string>): 'raw' | 'car' | undefined {
  if (type === RAW_MEDIA_TYPE) return 'raw'
  if (type !== CAR_MEDIA_TYPE) return undefined
  const version = params.get('version')
  const order = params.get('order')
  const dups = params.get('dups')
  if (version !== undefined && version !== '1') return undefined
  if (order !== undefined && order !== 'dfs' && order !== 'unk') return undefined
  if (dups !== undefined && dups !== 'n') return undefined
  return 'car'
}

function unquote(value: string): string {
  return value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value
}

/**
 * `Content-Disposition: attachment` with `filename` (RFC 6266 / 8187): ASCII with other characters
 * as `_`, plus `filename*` in UTF-8 when the name is not plain ASCII.
 */
export function attachment(filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]|["\\]/g, '_')
  if (ascii === filename) return `attachment; filename="${filename}"`
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(filename)}`
}
