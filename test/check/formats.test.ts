import {describe, expect, it} from 'vitest'
import {checkHistory, detectFormat, HistoryError, pairOperations, parseHistory, toJson, type HistoryEvent} from '../../src/check/index.js'
import {inFile, parseHistoryText} from '../../src/cli/history-files.js'

/** The three formats of ../shared/histories/README.md and what a malformed line gets. */
const README_JEPSEN = `INFO  jepsen.util - 3\t:invoke\t:write\t3
INFO  jepsen.util - 3\t:ok\t:write\t3
INFO  jepsen.util - 2\t:invoke\t:cas\t[3 0]
INFO  jepsen.util - 2\t:fail\t:cas\t[3 0]
INFO  jepsen.util - 0\t:invoke\t:read\tnil
INFO  jepsen.util - 0\t:ok\t:read\t3
INFO  jepsen.util - 4\t:invoke\t:read\tnil
INFO  jepsen.util - 4\t:fail\t:read\t:timed-out
INFO  jepsen.util - 2\t:invoke\t:cas\t[3 1]
INFO  jepsen.util - 2\t:info\t:cas\t:timed-out
`

const README_JSONL = `{"process":3,"type":"invoke","f":"write","key":"k1","value":3,"time":1712}
{"process":3,"type":"ok","f":"write","key":"k1","value":3,"time":1714}
{"process":2,"type":"invoke","f":"cas","key":"k1","value":[3,0],"time":1715}
{"process":2,"type":"fail","f":"cas","key":"k1","value":[3,0],"time":1719}
{"process":0,"type":"invoke","f":"read","key":"k1","value":null,"time":1720}
{"process":0,"type":"ok","f":"read","key":"k1","value":0,"time":1722}
`

const EDN = `{:process 3, :type :invoke, :f :write, :value 3}
{:process 3, :type :ok, :f :write, :value 3}
{:process 2, :type :invoke, :f :cas, :value [3 0]}
{:process 2, :type :fail, :f :cas, :value [3 0]}
{:process 0, :type :invoke, :f :read, :value nil}
{:process 0, :type :ok, :f :read, :value 3}
{:process 4, :type :invoke, :f :read, :value nil}
{:process 4, :type :fail, :f :read, :value :timed-out}
{:process 2, :type :invoke, :f :cas, :value [3 1]}
{:process 2, :type :info, :f :cas, :value :timed-out}
`

const strip = (evs: HistoryEvent[]) => evs.map(({process, type, f, value}) => ({process, type, f, value: toJson(value)}))

describe('history formats', () => {
  it('detects each format from its first line', () => {
    expect(detectFormat(README_JEPSEN)).toBe('jepsen')
    expect(detectFormat(README_JSONL)).toBe('jsonl')
    expect(detectFormat(EDN)).toBe('edn')
    expect(detectFormat(`[${EDN}]`)).toBe('edn')
    expect(detectFormat('hello\n')).toBeUndefined()
  })

  it('reads the README examples: the Jepsen log and the same history as EDN give the same events', () => {
    const j = parseHistory(README_JEPSEN, 'jepsen')
    expect(j).toHaveLength(10)
    expect(strip(j)).toEqual(strip(parseHistory(EDN, 'edn')))
    expect(j[7]).toMatchObject({line: 8, process: 4, type: 'fail', f: 'read', value: {kw: 'timed-out'}})
    const ops = pairOperations(j).ops
    expect(ops.map((o) => [o.f, o.outcome, o.timedOut])).toEqual([
      ['write', 'ok', false],
      ['cas', 'fail', false],
      ['read', 'ok', false],
      ['read', 'fail', true],
      ['cas', 'info', false],
    ])
  })

  it("reads dtk's JSONL with keys and times as the README describes", () => {
    const evs = parseHistory(README_JSONL, 'jsonl')
    expect(evs[0]).toEqual({line: 1, process: 3, type: 'invoke', f: 'write', key: 'k1', value: 3, time: 1712})
    const r = checkHistory(evs)
    expect(r.model).toBe('kv')
    // The README's example shows the format, not a correct run: 3 was certainly there for the whole
    // of the cas [3, 0], so it cannot have failed, and nothing wrote the 0 that was read.
    expect(r.verdict).toBe('not linearizable')
    const f = r.partitions[0]!.failure!
    expect(r.partitions[0]!.ops[f.op]).toMatchObject({f: 'cas', outcome: 'fail', invokeLine: 3})
    expect(f.explanation[1]).toMatch(/holding 3 \(after write 3 by process 3, lines 1–2\); but it failed, so the value cannot have been 3\.$/)
  })

  it('EDN: a whole-file vector, tagged maps, sets, comments, extra keys and nemesis operations', () => {
    const text = `; a comment
[#jepsen.history.Op{:index 0, :time 10, :type :invoke, :process 0, :f :add, :value 1}
 {:index 1, :time 11, :type :info, :process :nemesis, :f :start, :value nil}
 {:index 2, :time 12, :type :ok, :process 0, :f :add, :value 1}
 {:index 3, :time 13, :type :invoke, :process 1, :f :read, :value nil}
 {:index 4, :time 14, :type :ok, :process 1, :f :read, :value #{1}}]`
    const evs = parseHistory(text, 'edn')
    expect(evs.map((e) => [e.line, e.process, e.type, e.f])).toEqual([
      [2, 0, 'invoke', 'add'],
      [4, 0, 'ok', 'add'],
      [5, 1, 'invoke', 'read'],
      [6, 1, 'ok', 'read'],
    ])
    expect(evs[3]!.value).toEqual({set: [1]})
    expect(checkHistory(evs).verdict).toBe('linearizable')
  })

  it('Jepsen logs: other log lines are skipped, nemesis lines too, and the newer "jepsen.util:" prefix works', () => {
    const text = `2017-01-01 INFO  jepsen.core - Running test
INFO  jepsen.util - :nemesis\t:info\t:start\tnil
2017-05-03 13:25:40,223{GMT}\tINFO\t[jepsen worker 3] jepsen.util: 3\t:invoke\t:read\tnil
INFO  jepsen.util - 3\t:ok\t:read\tnil
`
    const evs = parseHistory(text, 'jepsen')
    expect(evs.map((e) => [e.line, e.process, e.type])).toEqual([
      [3, 3, 'invoke'],
      [4, 3, 'ok'],
    ])
  })
})

describe('a malformed history gets one clear error naming the file and the line', () => {
  const bad = (text: string, format: 'auto' | 'jsonl' | 'jepsen' | 'edn' = 'auto') => {
    try {
      const {history} = parseHistoryText('h.txt', text, format)
      inFile('h.txt', () => checkHistory(history))
    } catch (e) {
      return (e as Error).message
    }
    return 'no error'
  }
  const ok = '{"process":0,"type":"invoke","f":"write","value":1}\n'

  it('JSONL: bad JSON, a missing or wrong field, a bad key', () => {
    expect(bad(`${ok}{"process":0,"type":"ok",`)).toMatch(/^h\.txt:2: not a JSON object \(/)
    expect(bad(`${ok}{"process":0,"f":"write","value":1}`)).toBe('h.txt:2: "type" must be invoke, ok, fail or info, not missing')
    expect(bad(`${ok}{"process":0,"type":"done","f":"write","value":1}`)).toBe('h.txt:2: "type" must be invoke, ok, fail or info, not "done"')
    expect(bad(`{"process":1.5,"type":"invoke","f":"write","value":1}`)).toBe('h.txt:1: "process" must be an integer or a name, not 1.5')
    expect(bad(`{"process":0,"type":"invoke","f":"write","value":1,"key":[1]}`)).toBe('h.txt:1: "key" must be a string or a number, not [1]')
    expect(bad(`${ok}[1,2]`)).toBe('h.txt:2: not a JSON object')
  })

  it('pairing: a second call in flight, a completion without a call, a completion of another function', () => {
    expect(bad(`${ok}${ok}`)).toBe('h.txt:2: process 0 invokes write while its write invoked on line 1 has not completed (one operation in flight per process)')
    expect(bad(`{"process":0,"type":"ok","f":"write","value":1}`)).toBe('h.txt:1: process 0 completes write (ok) but has no operation in flight')
    expect(bad(`${ok}{"process":0,"type":"ok","f":"read","value":1}`)).toBe('h.txt:2: process 0 completes read (ok) but invoked write on line 1')
  })

  it('values the model cannot use: a cas without [expected, new], an unknown function, a set read that is not a set', () => {
    expect(bad(`${ok}{"process":0,"type":"ok","f":"write","value":1}\n{"process":0,"type":"invoke","f":"cas","value":3}`)).toBe('h.txt:3: a cas needs [expected, new] as its value, not 3')
    expect(bad(`{"process":0,"type":"invoke","f":"txn","value":3}`)).toBe("h.txt:1: the cas-register model has no operation 'txn': it knows read, write, cas")
    expect(bad(`{"process":0,"type":"invoke","f":"add","value":3}\n{"process":1,"type":"invoke","f":"read"}\n{"process":1,"type":"ok","f":"read","value":5}`)).toBe('h.txt:3: a set read returns the whole set (#{…} or […]), not 5')
  })

  it('Jepsen and EDN: a bad value, an unclosed map, a process that is not a number', () => {
    expect(bad(`INFO  jepsen.util - 3\t:invoke\t:cas\t[1 2`)).toBe("h.txt:1: cannot read the value '[1 2': '[' opened on line 1 is never closed")
    expect(bad(`INFO  jepsen.util - x\t:invoke\t:read\tnil`)).toBe("h.txt:1: the process must be a number or :nemesis, not 'x'")
    expect(bad(`INFO  jepsen.util - 3\t:invoke\t:read\tnil\nINFO  jepsen.util - 3 ok read`)).toBe('h.txt:2: not a Jepsen operation line (PROCESS :TYPE :F VALUE): \'INFO  jepsen.util - 3 ok read\'')
    expect(bad(`{:process 0, :type :invoke, :f :read, :value nil}\n{:process 0, :type :ok,\n :f :read, :value 1`)).toBe("h.txt:3: '{' opened on line 2 is never closed")
    expect(bad(`{:process 0, :type :invoke, :f :read, :value nil}\n[1 2]`)).toBe('h.txt:2: expected an operation map {:process …, :type …, :f …, :value …}, got [1, 2]')
  })

  it('an empty or unrecognisable file', () => {
    expect(bad('')).toBe('h.txt: the file is empty')
    expect(bad('hello world\n')).toBe("h.txt: cannot tell the format from 'hello world': use --format jsonl, jepsen or edn")
    expect(bad('INFO jepsen.core - nothing here\n', 'jepsen')).toBe('h.txt: no operations found in this jepsen history')
  })

  it('errors are HistoryErrors with the line, before the file is named', () => {
    expect(() => parseHistory('{"process":0}', 'jsonl')).toThrow(HistoryError)
  })
})
