import { describe, it, expect as vitestExpect } from 'vitest'
import { expect as chaiExpect } from './helpers/aegir-chai.js'

/** What the suite calls, loosely typed (chai's types know `.true` as a property, aegir's as a call). */
type Called = Record<'ok' | 'true' | 'false', () => void>
const expect = chaiExpect as unknown as (value: unknown) => {
  to: { be: Called; not: { be: Called } }
}
const eventually = chaiExpect

// The shim decides whether interface-blockstore-tests can fail at all: its assertions must throw.
describe('the aegir/chai shim', () => {
  it('calls .true() / .false() / .ok() as assertions that fail on the wrong value', () => {
    expect(true).to.be.true()
    expect(false).to.be.false()
    expect(1).to.be.ok()
    vitestExpect(() => expect(false).to.be.true()).toThrow(/expected false to be true/)
    vitestExpect(() => expect(true).to.be.false()).toThrow(/expected true to be false/)
    vitestExpect(() => expect(undefined).to.be.ok()).toThrow(/to be truthy/)
    vitestExpect(() => expect(true).to.not.be.true()).toThrow(/not to be true/)
  })

  it('has chai-as-promised: .eventually and .rejected', async () => {
    await eventually(Promise.reject(new Error('aborted')))
      .to.eventually.be.rejected.with.property('message')
      .that.include('abort')
    const settle = async (assertion: PromiseLike<unknown>) => {
      await assertion
    }
    await vitestExpect(settle(eventually(Promise.resolve(1)).to.be.rejected)).rejects.toThrow(
      /expected promise to be rejected/,
    )
    await vitestExpect(
      settle(eventually(Promise.resolve([1])).to.eventually.deep.equal([2])),
    ).rejects.toThrow(/to deeply equal/)
  })
})
