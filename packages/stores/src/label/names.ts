/**
 * Label names and their storage keys. A name is 1–512 bytes of well-formed UTF-8 without control
 * characters (C0, DEL, C1); its key is the lowercase unpadded base32hex (RFC 4648 §7) of those bytes.
 * base32hex keeps byte order (its alphabet `0-9a-v` is in ASCII order) and prefixes (a name's first
 * n bytes are the first ⌊8n/5⌋ characters of its key), so a key listing by prefix, in key order, is
 * a listing of names by prefix, in byte order; and any name is a valid key on every backend
 * (memory, LevelDB, S3: at most 820 characters).
 * @packageDocumentation
 */
import { base32hex } from 'multiformats/bases/base32'
import { InvalidLabelNameError } from '../errors.js'

/** The longest label name, in UTF-8 bytes. */
export const MAX_LABEL_NAME_BYTES = 512

/** Control characters (general category Cc: C0, DEL and C1). */
const CONTROL = /\p{Cc}/u
const LONE_SURROGATE = /\p{Cs}/u
const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })

/**
 * The UTF-8 bytes of a valid label name.
 * @throws {InvalidLabelNameError} empty, over 512 bytes, a control character or a lone surrogate.
 */
export function labelNameBytes(name: string): Uint8Array {
  if (typeof name !== 'string' || name.length === 0) throw new InvalidLabelNameError(String(name), 'empty')
  const ascii = asciiBytes(name)
  if (ascii !== undefined) return ascii
  const control = CONTROL.exec(name)
  if (control !== null) {
    const code = (control[0].codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')
    throw new InvalidLabelNameError(name, `contains the control character U+${code}`)
  }
  if (LONE_SURROGATE.test(name)) throw new InvalidLabelNameError(name, 'is not well-formed Unicode')
  const bytes = encoder.encode(name)
  if (bytes.byteLength > MAX_LABEL_NAME_BYTES) {
    throw new InvalidLabelNameError(name, `is ${bytes.byteLength} bytes, over ${MAX_LABEL_NAME_BYTES}`)
  }
  return bytes
}

/** The storage key of a label name. @throws {InvalidLabelNameError} */
export function labelKey(name: string): string {
  return base32hex.baseEncode(labelNameBytes(name))
}

/**
 * The bytes of a printable-ASCII name of at most 512 characters (the common case: `actor/123/head`,
 * `did:plc:…:chain-head`), checked in one pass; undefined for anything else (checked in full).
 */
function asciiBytes(name: string): Uint8Array | undefined {
  if (name.length > MAX_LABEL_NAME_BYTES) return undefined
  const bytes = new Uint8Array(name.length)
  for (let index = 0; index < name.length; index++) {
    const code = name.charCodeAt(index)
    if (code < 0x20 || code > 0x7e) return undefined
    bytes[index] = code
  }
  return bytes
}

/** The label name a key stands for, or undefined when the key is not one {@link labelKey} makes. */
export function labelNameOf(key: string): string | undefined {
  try {
    const name = decoder.decode(base32hex.baseDecode(key))
    return base32hex.baseEncode(encoder.encode(name)) === key ? name : undefined
  } catch {
    return undefined
  }
}

/**
 * How to find the names starting with `prefix`: the key prefix to list (the characters that encode
 * whole 5-byte groups of `prefix`, or fewer) and the name bytes every match starts with. An empty
 * prefix lists everything. A prefix may be any well-formed string without control characters (it
 * need not be a whole UTF-8 name, nor short).
 * @throws {InvalidLabelNameError} a control character or lone surrogate in `prefix`.
 */
export function labelPrefix(prefix: string): { key: string; bytes: Uint8Array } {
  if (prefix === '') return { key: '', bytes: new Uint8Array(0) }
  const bytes = labelNameBytesOfPrefix(prefix)
  const whole = bytes.subarray(0, bytes.byteLength - (bytes.byteLength % 5))
  return { key: base32hex.baseEncode(whole), bytes }
}

function labelNameBytesOfPrefix(prefix: string): Uint8Array {
  if (CONTROL.test(prefix) || LONE_SURROGATE.test(prefix)) {
    throw new InvalidLabelNameError(prefix, 'prefix has a control character or is not well-formed Unicode')
  }
  return encoder.encode(prefix)
}

/** Whether `name` (as bytes) starts with `prefix`. */
export function startsWithBytes(name: Uint8Array, prefix: Uint8Array): boolean {
  if (prefix.byteLength > name.byteLength) return false
  for (let i = 0; i < prefix.byteLength; i++) if (name[i] !== prefix[i]) return false
  return true
}

/** The UTF-8 bytes of a name already known to be valid (from a key). */
export function utf8(name: string): Uint8Array {
  return encoder.encode(name)
}
