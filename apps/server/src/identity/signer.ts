import { Hash } from '@smithy/hash-node'
import { SignatureV4 } from '@smithy/signature-v4'
import type { PresignCredentials } from './identity.js'

/** The SigV4 region of presigned upload URLs. */
export const PRESIGN_REGION = 'us-east-1'
/** The SigV4 service of presigned upload URLs. */
export const PRESIGN_SERVICE = 's3'

/** A SigV4 signer over `credentials` for region `us-east-1`, service `s3`, S3 path escaping. */
export function createSigner(credentials: PresignCredentials): SignatureV4 {
  return new SignatureV4({
    credentials,
    region: PRESIGN_REGION,
    service: PRESIGN_SERVICE,
    sha256: Hash.bind(null, 'sha256'),
    uriEscapePath: false,
  })
}
