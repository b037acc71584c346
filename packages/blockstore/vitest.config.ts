import { fileURLToPath } from 'node:url'
import { packageProject } from '../../vitest.shared.js'

// interface-blockstore-tests is written for aegir's mocha: `describe`/`it`/`beforeEach` as globals
// and `expect` from `aegir/chai`. Globals on, `aegir/chai` aliased to a small shim, and the suite
// inlined (transformed by vitest) so the alias applies to its imports. chai is inlined too: the
// shim's plugins then extend a chai of its own, not the one behind vitest's `expect`.
export default packageProject('blockstore', {
  resolve: {
    alias: { 'aegir/chai': fileURLToPath(new URL('./test/helpers/aegir-chai.ts', import.meta.url)) },
  },
  test: {
    globals: true,
    server: { deps: { inline: ['interface-blockstore-tests', 'chai', 'chai-as-promised'] } },
  },
})
