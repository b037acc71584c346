export * from './config/index.js'
export * from './container/index.js'
export * from './http/index.js'
