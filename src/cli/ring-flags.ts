import {readFileSync, statSync} from 'node:fs'
import {Flags} from '@oclif/core'
import {UsageError} from '../errors/index.js'
import {ALGOS, DEFAULT_EPSILON, DEFAULT_TABLE_SIZE, DEFAULT_VNODES, parseNodeList, parseWeights, splitLines, syntheticKeys, type Algo, type KeySet, type RingConfig} from '../hashring/index.js'

/** The flags every `dtk ring` command shares to describe a placement (all but the node list). */
export const ringFlags = {
  algo: Flags.string({char: 'a', description: 'placement algorithm', options: [...ALGOS], default: 'ring'}),
  vnodes: Flags.integer({description: 'ring, bounded: points on the circle per node (per unit of weight)', default: DEFAULT_VNODES, min: 1, max: 100_000}),
  weights: Flags.string({char: 'w', description: 'relative node weights, NODE=WEIGHT,… (default 1 each; not for jump)'}),
  replicas: Flags.integer({char: 'r', description: 'distinct nodes per key, primary first', default: 1, min: 1}),
  'table-size': Flags.integer({description: 'maglev: lookup table size, a prime', default: DEFAULT_TABLE_SIZE}),
  epsilon: Flags.string({description: 'bounded: no node holds more than ceil((1+ε)·fair share)', default: String(DEFAULT_EPSILON)}),
  'ketama-compat': Flags.string({description: "ketama: round each server's share as the npm hashring package (double) or libketama (float) does", options: ['hashring', 'libketama'], default: 'hashring'}),
}

export interface RingFlagValues {
  algo: string
  vnodes: number
  weights?: string
  replicas: number
  'table-size': number
  epsilon: string
  'ketama-compat': string
}

/** A RingConfig from the flags and a node list (`a,b,c`; `~` for an empty jump bucket). */
export function ringConfigFrom(f: RingFlagValues, nodesText: string, what = '--nodes'): RingConfig {
  const nodes = parseNodeList(nodesText, what)
  const epsilon = Number(f.epsilon)
  if (!/^\s*[0-9]*\.?[0-9]+\s*$/.test(f.epsilon) || !(epsilon > 0)) throw new UsageError(`--epsilon: '${f.epsilon}' is not a number > 0 (e.g. 0.25)`)
  return {
    algo: f.algo as Algo,
    nodes,
    weights: f.weights ? parseWeights(f.weights, nodes) : undefined,
    vnodes: f.vnodes,
    tableSize: f['table-size'],
    epsilon,
    ketama: f['ketama-compat'] as 'hashring' | 'libketama',
  }
}

/** `--keys N` (generated `user:<i>:<hex>` keys) or `--key-file F` (one key a line). */
export const keyFlags = {
  keys: Flags.integer({char: 'k', description: 'generate N distinct keys user:<i>:<hex>', min: 1, max: 50_000_000, exclusive: ['key-file']}),
  'key-file': Flags.string({char: 'f', description: 'read keys from a file, one per line', exclusive: ['keys']}),
}

/** The largest key file read into memory (the keys are held as one buffer). */
const MAX_KEY_FILE = 2 * 1024 * 1024 * 1024 - 1

export function loadKeys(f: {keys?: number; 'key-file'?: string}, defaultCount: number): KeySet {
  const file = f['key-file']
  if (file === undefined) return syntheticKeys(f.keys ?? defaultCount)
  let size: number
  try {
    const st = statSync(file)
    if (!st.isFile()) throw new UsageError(`--key-file ${file}: not a regular file`)
    size = st.size
  } catch (error) {
    if (error instanceof UsageError) throw error
    const code = (error as NodeJS.ErrnoException).code
    throw new UsageError(`--key-file ${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (error as Error).message}`)
  }
  if (size > MAX_KEY_FILE) throw new UsageError(`--key-file ${file}: ${size} bytes, more than the 2 GiB dtk reads into memory`)
  const keys = splitLines(readFileSync(file))
  if (keys.count === 0) throw new UsageError(`--key-file ${file}: no keys (the file has no non-empty line)`)
  return keys
}
