import { z } from '../openapi.js'

const LIMIT_ERROR = 'expected an integer from 1 to 10000'

/** `?limit=`: the most items a page holds, 1 to 10,000 (the listing's default when absent). */
export const pageLimit = z.coerce
  .number({ error: LIMIT_ERROR })
  .int({ error: LIMIT_ERROR })
  .min(1, { error: LIMIT_ERROR })
  .max(10_000, { error: LIMIT_ERROR })
  .optional()
