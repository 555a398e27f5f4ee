import {Flags} from '@oclif/core'
import {clusterFlags, clusterRef} from '../cli/base.js'
import {parseDuration} from '../cli/duration.js'
import {UsageError} from '../errors/index.js'
import {KV_LIMITS, parseOp, type KvOp, type KvValue} from '../kv/index.js'
import type {KvCall} from './client.js'

/** What `dtk kv get|put|cas|del|load` share: flags, argument parsing, one call, and what it prints. */
export const kvFlags = {
  ...clusterFlags,
  timeout: Flags.string({char: 't', description: 'give up on the operation after this long; it is then reported as unknown (info)', default: '5s'}),
}

export const singleNodeFlag = Flags.string({char: 'n', description: 'the node to ask (its id in the cluster) [default: a node that is up, at random]'})

/**
 * A VALUE argument: JSON when it parses as JSON (`3`, `"3"`, `{"a":1}`), else the text itself
 * (`hello`); `asString` takes the text as it is. `null` means absent: it cannot be written.
 */
export function parseValue(text: string, what: string, asString: boolean, allowNull = false): KvValue {
  let v: KvValue
  if (asString) v = text
  else {
    try {
      v = JSON.parse(text) as KvValue
    } catch {
      v = text
    }
  }
  if (v === null && !allowNull) throw new UsageError(`${what} null means "absent" and cannot be written (to remove a key: dtk kv del KEY)`)
  if (v !== null && JSON.stringify(v).length > KV_LIMITS.value) throw new UsageError(`${what} is longer than ${KV_LIMITS.value} characters of JSON`)
  return v
}

/** Refuses what a node would refuse as a bad request, before anything is sent (exit 2). */
export function checkedOp(op: KvOp): KvOp {
  const p = parseOp(op)
  if (!p.ok) throw new UsageError(p.error)
  return p.value
}

export interface OneResult {
  op: string
  key: string
  outcome: 'ok' | 'fail' | 'info'
  value?: KvValue
  found?: boolean
  existed?: boolean
  error?: string
  message?: string
  node: string
  redirects: number
  latencyMs: number
}

/** Runs one operation against the recorded cluster (one node: `--node` or a random up one). */
export async function callOnce(flags: {name: string; 'state-dir'?: string; node?: string; timeout: string}, op: KvOp): Promise<{call: KvCall; latencyMs: number}> {
  const timeoutMs = parseDuration(flags.timeout, 'timeout', {min: 1})
  const ref = clusterRef(flags)
  // Loaded here, not at the top: `--help` and usage errors should not pay for the transport.
  const {KvClient} = await import('./client.js')
  const {kvTargets} = await import('./cluster.js')
  const {targets, lookup} = await kvTargets(ref, flags.node ? [flags.node] : [], {all: false})
  const client = await KvClient.open({nodes: lookup, timeoutMs})
  try {
    const t0 = performance.now()
    const call = await client.call(client.session(), op, targets[0]!)
    return {call, latencyMs: performance.now() - t0}
  } finally {
    await client.close()
  }
}

export function oneResult(op: KvOp & {key: string}, r: {call: KvCall; latencyMs: number}): OneResult {
  const o = r.call.outcome
  const out: OneResult = {op: op.f, key: op.key, outcome: o.type, node: r.call.node, redirects: r.call.hops, latencyMs: Math.round(r.latencyMs * 1000) / 1000}
  if (o.type === 'ok') {
    if (o.value !== undefined) out.value = o.value
    if (o.existed !== undefined) out.existed = o.existed
  } else {
    out.error = o.error
    out.message = o.message
    if (o.type === 'fail' && o.value !== undefined) out.value = o.value
  }
  return out
}

/** The line for a `fail` or `info` outcome (exit 1): what happened, and whether it may still have. */
export function outcomeLine(verb: string, r: OneResult): string {
  if (r.outcome === 'info') return `${verb} ${r.key}: outcome unknown (${r.error} at ${r.node}): it may or may not have taken effect; ${r.message}`
  return `${verb} ${r.key}: failed (${r.error} at ${r.node}): it did not take effect; ${r.message}`
}

export function showValue(v: KvValue | undefined): string {
  return v === undefined || v === null ? 'absent' : JSON.stringify(v)
}
