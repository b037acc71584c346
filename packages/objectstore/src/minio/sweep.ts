import type { Client } from 'minio'

/** What {@link abortStaleUploads} did. */
export interface SweepResult {
  /** Incomplete multipart uploads aborted. */
  aborted: number
  /** Incomplete multipart uploads kept (started at or after the cut-off: maybe still running). */
  kept: number
}

/**
 * Aborts the incomplete multipart uploads of `bucket` (under `prefix`) started before `olderThan`:
 * what a writer that died mid-upload (a crash, SIGKILL, power loss) leaves behind. They are never
 * visible as objects, but S3 keeps (and bills) their parts until they are aborted.
 *
 * Pages with ListMultipartUploads (`listIncompleteUploadsQuery`, which carries `Initiated`, unlike
 * minio's `listIncompleteUploads` stream). A page with stale uploads is listed again after they
 * are aborted; a page of fresh ones is passed by its last key, so every stale upload is reached.
 * @throws the S3 error of a failed list or abort (uploads aborted before it stay aborted).
 */
export async function abortStaleUploads(
  client: Client,
  bucket: string,
  olderThan: Date,
  prefix = '',
): Promise<SweepResult> {
  const result: SweepResult = { aborted: 0, kept: 0 }
  const aborted = new Set<string>()
  let keyMarker = ''
  for (;;) {
    const page = await client.listIncompleteUploadsQuery(bucket, prefix, keyMarker, '', '')
    const uploads = page.uploads as { key: string; uploadId: string; initiated?: Date }[]
    const stale = uploads.filter(
      ({ uploadId, initiated }) => !aborted.has(uploadId) && !(initiated && initiated >= olderThan),
    )
    for (const { key, uploadId } of stale) {
      await client.abortMultipartUpload(bucket, String(key), uploadId)
      aborted.add(uploadId)
      result.aborted++
    }
    const last = uploads.at(-1)
    if (!page.isTruncated || last === undefined) {
      result.kept += uploads.filter(({ uploadId }) => !aborted.has(uploadId)).length
      return result
    }
    if (stale.length === 0) {
      result.kept += uploads.filter(({ uploadId }) => !aborted.has(uploadId)).length
      keyMarker = String(last.key)
    }
  }
}
