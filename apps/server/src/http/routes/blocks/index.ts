/**
 * The block resource: public, verified reads of the blocks of imported CARs.
 * @packageDocumentation
 */
export {
  answerBlockRead,
  BLOCK_CONTENT_TYPE,
  type BlockAnswer,
  type BlockReadRequest,
  blockEtag,
} from './answer.js'
export { type BlockReadRoutesOptions, blockReadRoutes } from './read.js'
export { BLOCK_READ_ROUTE, type BlockSocketReadsOptions, blockSocketReads } from './socket-read.js'
