import {describe, expect, it} from 'vitest'
import {parsePartition, rulesFor, type ClusterState} from '../../src/cluster/index.js'
import {addLinkFaults, clearLinkFaults} from '../../src/cluster/network.js'

function state(ids: string[]): ClusterState {
  return {version: 1, name: 't', createdAt: 0, nodes: ids.map((id, i) => ({id, host: '127.0.0.1', port: 7000 + i, role: 'echo', dataDir: `/d/${id}`})), partition: null, linkFaults: {}}
}
const ids = ['n1', 'n2', 'n3', 'n4', 'n5']

describe('partition sides', () => {
  it('nodes not named form a side of their own, so one name isolates that node', () => {
    expect(parsePartition(['n1'], ids)).toEqual([['n1'], ['n2', 'n3', 'n4', 'n5']])
    expect(parsePartition(['n1,n2', 'n3,n4,n5'], ids)).toEqual([['n1', 'n2'], ['n3', 'n4', 'n5']])
  })
  it('rejects unknown nodes, a node on two sides, and a cut that cuts nothing', () => {
    expect(() => parsePartition(['n1,n9'], ids)).toThrow(/unknown node 'n9'/)
    expect(() => parsePartition(['n1,n2', 'n2,n3'], ids)).toThrow(/two sides/)
    expect(() => parsePartition(['n1,n2,n3,n4,n5'], ids)).toThrow(/nothing is cut/)
  })
})

describe('compiled link rules', () => {
  it('a partition blocks exactly the links that cross it, in both directions', () => {
    const s = state(ids)
    s.partition = parsePartition(['n1,n2'], ids)
    expect(Object.keys(rulesFor(s, 'n1')).sort()).toEqual(['n3', 'n4', 'n5'])
    expect(rulesFor(s, 'n1').n3).toEqual({block: true})
    expect(Object.keys(rulesFor(s, 'n4')).sort()).toEqual(['n1', 'n2'])
  })
  it('wildcard faults apply to every peer and a specific link adds to them', () => {
    const s = state(ids.slice(0, 3))
    addLinkFaults(s, ['n1'], ['*'], {drop: 0.1})
    addLinkFaults(s, ['n1'], ['n2'], {delayMs: 50})
    expect(rulesFor(s, 'n1')).toEqual({n2: {drop: 0.1, delayMs: 50}, n3: {drop: 0.1}})
    expect(rulesFor(s, 'n2')).toEqual({})
  })
  it('message faults and a partition combine; clearing everything restores a whole network', () => {
    const s = state(ids.slice(0, 3))
    addLinkFaults(s, ['n1', 'n2', 'n3'], ['*'], {delayMs: 20})
    s.partition = parsePartition(['n3'], ids.slice(0, 3))
    expect(rulesFor(s, 'n3')).toEqual({n1: {delayMs: 20, block: true}, n2: {delayMs: 20, block: true}})
    clearLinkFaults(s)
    expect(s.partition).toBeNull()
    expect(rulesFor(s, 'n3')).toEqual({})
  })
  it('clearing one link keeps the others', () => {
    const s = state(ids.slice(0, 3))
    addLinkFaults(s, ['n1'], ['n2', 'n3'], {drop: 0.5})
    clearLinkFaults(s, ['n1'], ['n2'])
    expect(rulesFor(s, 'n1')).toEqual({n3: {drop: 0.5}})
  })
})
