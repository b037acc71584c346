import { CID } from 'multiformats/cid'
import { HttpError } from '../../errors.js'

/**
 * Parses a CID from a path segment.
 * @throws {HttpError} `400 BadRequest` when `text` is not a CID (shown truncated to 80 characters).
 */
export function parseCid(text: string): CID {
  try {
    return CID.parse(text)
  } catch (error) {
    throw new HttpError(400, 'BadRequest', `not a CID: ${JSON.stringify(text.slice(0, 80))}`, {
      cause: error,
    })
  }
}

/** Runs `read`, turning a `NotFoundError` into a `404` {@link HttpError} with `message`. */
export async function notFoundAs<T>(message: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read()
  } catch (error) {
    if ((error as { name?: unknown } | null)?.name !== 'NotFoundError') throw error
    throw new HttpError(404, 'NotFoundError', message, { cause: error })
  }
}
