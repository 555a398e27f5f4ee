import {appendFileSync, rmSync} from 'node:fs'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {EventLog, followEvents, mergeEvents, readEvents, type EventRecord} from '../../src/events/index.js'
import {tempDir, waitFor} from '../helpers/cli.js'

describe('events', () => {
  let dir: string
  afterEach(() => dir && rmSync(dir, {recursive: true, force: true}))

  it('merges several nodes by time, keeping each node\'s order for equal timestamps', () => {
    const a = [{ts: 1, node: 'a', type: 'x'}, {ts: 3, node: 'a', type: 'y'}, {ts: 3, node: 'a', type: 'z'}]
    const b = [{ts: 2, node: 'b', type: 'x'}, {ts: 3, node: 'b', type: 'y'}]
    expect(mergeEvents([a, b]).map((e) => `${e.node}${e.type}`)).toEqual(['ax', 'bx', 'ay', 'az', 'by'])
  })

  it('reads back what was written and skips a torn last line', () => {
    dir = tempDir('events')
    let t = 0
    const log = new EventLog(join(dir, 'e.jsonl'), 'n1', () => ++t)
    log.emit('a', {k: 1})
    log.emit('b')
    log.close()
    appendFileSync(join(dir, 'e.jsonl'), '{"ts":3,"node":"n1","ty')
    expect(readEvents([join(dir, 'e.jsonl')])).toEqual([
      {ts: 1, node: 'n1', type: 'a', k: 1},
      {ts: 2, node: 'n1', type: 'b'},
    ])
  })

  it('follow delivers only new events, and a line completed later once it is whole', async () => {
    dir = tempDir('events')
    const path = join(dir, 'e.jsonl')
    const log = new EventLog(path, 'n1')
    log.emit('old')
    const seen: EventRecord[] = []
    let polls = 0 // the follower asks for its paths once per poll
    const h = followEvents(() => (polls++, [path]), (e) => seen.push(e), {intervalMs: 20})
    try {
      log.emit('new1')
      await waitFor(() => seen.length >= 1, 10_000, 'new1 to be followed')
      // Half a line, read by at least one full poll before the rest arrives.
      appendFileSync(path, '{"ts":1,"node":"n2",')
      const before = polls
      await waitFor(() => polls >= before + 2, 10_000, 'the follower to poll the half line')
      expect(seen.map((e) => e.type)).toEqual(['new1'])
      appendFileSync(path, '"type":"split"}\n')
      await waitFor(() => seen.length >= 2, 10_000, 'the completed line to be followed')
    } finally {
      h.stop()
      log.close()
    }
    expect(seen.map((e) => `${e.node}:${e.type}`)).toEqual(['n1:new1', 'n2:split'])
  })
})
