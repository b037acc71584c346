import type { Hash } from 'node:crypto'
import { type FileHandle, open } from 'node:fs/promises'
import { dirname } from 'node:path'
import { isErrno, syncPath } from '@strata/objectstore/fs'
import { CAR_HEADER } from './format.js'
import { scanWip } from './scan.js'

/** An `egress.car.wip` ready for appends. */
export interface OpenWip {
  /** Open read/write; appends are positional, at `size`. */
  handle: FileHandle
  /** Bytes of header and whole entries: the file's size after recovery. */
  size: number
  /** sha2-256 state over those bytes. */
  hash: Hash
  entries: number
  /** Bytes of torn tail (or torn header) cut off. */
  truncated: number
}

/**
 * Opens `path`, creating it with the CAR header when missing (or when only a torn header is
 * there), re-hashes it by streaming it once, and truncates a torn last section away.
 * @throws {JournalCorruptError} the file holds bytes that are neither entries nor a torn tail
 * (the file is left untouched).
 */
export async function openWip(path: string, fsync: boolean): Promise<OpenWip> {
  let handle: FileHandle
  let created = false
  try {
    handle = await open(path, 'r+')
  } catch (error) {
    if (!isErrno(error, 'ENOENT')) throw error
    handle = await open(path, 'wx+', 0o644)
    created = true
  }
  try {
    const { size: fileSize } = await handle.stat()
    const scan = await scanWip(handle, path, fileSize)
    if (scan.headerMissing) {
      await handle.truncate(0)
      await writeAll(handle, CAR_HEADER, 0)
      scan.hash.update(CAR_HEADER)
      scan.size = CAR_HEADER.byteLength
    } else if (scan.size < fileSize) {
      await handle.truncate(scan.size)
    }
    if (fsync && scan.size !== fileSize) await handle.datasync()
    if (fsync && created) await syncPath(dirname(path))
    const truncated = scan.headerMissing ? fileSize : fileSize - scan.size
    return { handle, size: scan.size, hash: scan.hash, entries: scan.entries, truncated }
  } catch (error) {
    await handle.close().catch(() => {})
    throw error
  }
}

/** Writes all of `bytes` at `position` (a positional write may write less than asked). */
export async function writeAll(handle: FileHandle, bytes: Uint8Array, position: number): Promise<void> {
  let written = 0
  while (written < bytes.byteLength) {
    const { bytesWritten } = await handle.write(
      bytes,
      written,
      bytes.byteLength - written,
      position + written,
    )
    written += bytesWritten
  }
}
