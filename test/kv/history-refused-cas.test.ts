import {describe, expect, it} from 'vitest'
import {completionOf} from '../../src/kv/index.js'

/**
 * ../shared/histories/README.md: a `fail` cas "happened: at one instant inside its interval it
 * found a value other than expected". A cas refused before it compared anything (a redirect to a
 * node the client cannot reach, a full table) observed nothing, so it must not be written as
 * `fail`: a shard cluster's histories across a join were judged non-linearizable for that.
 */
describe('history entries of cas outcomes', () => {
  const cas = {f: 'cas' as const, key: 'k', expected: 1, value: 2}
  it('a cas that found another value is a fail', () => {
    expect(completionOf(0, cas, {type: 'fail', error: 'mismatch', value: 3}, 1)).toMatchObject({type: 'fail', f: 'cas', value: [1, 2]})
  })
  it('a cas refused before comparing (not-leader, full, bad-request) is info, never fail', () => {
    for (const error of ['not-leader', 'full', 'bad-request'] as const) expect(completionOf(0, cas, {type: 'fail', error}, 1)).toMatchObject({type: 'info', f: 'cas'})
  })
  it('a refused write or read stays a fail: it certainly changed nothing and claims nothing else', () => {
    expect(completionOf(0, {f: 'put', key: 'k', value: 1}, {type: 'fail', error: 'not-leader'}, 1)).toMatchObject({type: 'fail', f: 'write'})
    expect(completionOf(0, {f: 'get', key: 'k'}, {type: 'fail', error: 'not-leader'}, 1)).toMatchObject({type: 'fail', f: 'read'})
  })
})
