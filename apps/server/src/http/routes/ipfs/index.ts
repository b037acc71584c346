/**
 * The ipfs resource: the Trustless Gateway, public, verified reads of blocks and CARs by CID.
 * @packageDocumentation
 */
export { answerIpfs, type IpfsAnswer, type IpfsRequest } from './answer.js'
export { type IpfsBodyErrorLogger, type IpfsRoutesOptions, ipfsRoutes } from './read.js'
export { IPFS_READ_ROUTE, type IpfsSocketReadsOptions, ipfsSocketReads } from './socket-read.js'
