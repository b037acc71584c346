/**
 * What `interface-blockstore-tests` imports from `aegir/chai`, without aegir's toolchain: chai with
 * chai-as-promised (`.eventually`, `.rejected`) and aegir's call style for the property
 * assertions the suite calls (`.to.be.true()`, `.false()`, `.ok()`, …). vitest aliases
 * `aegir/chai` to this file (see vitest.config.ts).
 */
import * as chai from 'chai'
import chaiAsPromised from 'chai-as-promised'

chai.use(chaiAsPromised)

/** aegir (chai-parentheses) makes these property assertions calls: `expect(x).to.be.true()`. */
const CALLABLE: Record<string, [(value: unknown) => boolean, string]> = {
  ok: [(value) => Boolean(value), 'be truthy'],
  true: [(value) => value === true, 'be true'],
  false: [(value) => value === false, 'be false'],
  null: [(value) => value === null, 'be null'],
  undefined: [(value) => value === undefined, 'be undefined'],
  exist: [(value) => value !== null && value !== undefined, 'exist'],
}

for (const [name, [holds, what]] of Object.entries(CALLABLE)) {
  chai.Assertion.addChainableMethod(
    name,
    function (this: Chai.AssertionStatic) {
      const value = chai.util.flag(this, 'object')
      this.assert(holds(value), `expected #{this} to ${what}`, `expected #{this} not to ${what}`, undefined)
    },
    () => {},
  )
}

export const expect = chai.expect
export const assert = chai.assert
