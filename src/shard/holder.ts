import type {NodeId} from '../core/index.js'
import type {ShardContext} from './context.js'
import type {ShardMessage} from './messages.js'
import type {Part} from './part.js'

/**
 * The copy's side: what a node does with what a partition's authority sends it. Every change
 * is one durable record, and the acknowledgement goes in the same output, so a host sends it
 * only once the record is durable (the Ready rule): an `ack` is a durable acknowledgement, and
 * `took` (the answer to a handoff) is sent only once the new authority's claim is on disk.
 *
 * The rules that make a move safe to repeat and to interrupt:
 * - a message from an authority older than one already heard of (a lower epoch) is ignored;
 * - writes apply strictly in sequence order: an old one (already applied) is acknowledged
 *   again and changes nothing, a gap is reported (`state`) and the authority starts over;
 * - a batch is applied only within its own move (epoch and session), once, in order, each key
 *   only if its version is newer than the one held; a move that starts again resets the copy
 *   first, so a key deleted meanwhile cannot come back from an old batch;
 * - a handoff is accepted only by a complete copy at exactly the sender's sequence number.
 */
type CopyMessage = Extract<ShardMessage, {type: 'sh.open' | 'sh.reset' | 'sh.batch' | 'sh.filled' | 'sh.write' | 'sh.drop' | 'sh.handoff' | 'sh.where'}>

export function isCopyMessage(m: ShardMessage): m is CopyMessage {
  switch (m.type) {
    case 'sh.open':
    case 'sh.reset':
    case 'sh.batch':
    case 'sh.filled':
    case 'sh.write':
    case 'sh.drop':
    case 'sh.handoff':
    case 'sh.where':
      return true
    default:
      return false
  }
}

function ack(ctx: ShardContext, to: NodeId, part: Part, g: number): void {
  ctx.send(to, {type: 'sh.ack', p: part.p, e: part.epoch, g, s: part.seq, c: part.complete, n: part.batches})
}

function state(ctx: ShardContext, to: NodeId, part: Part, g: number): void {
  ctx.send(to, {type: 'sh.state', p: part.p, e: part.epoch, g, s: part.seq, c: part.complete})
}

function conflict(ctx: ShardContext, from: NodeId, part: Part, what: string): void {
  ctx.event({type: 'conflict', partition: part.p, from, detail: `${what} from ${from}, but this node is the authority at epoch ${part.epoch}`})
}

/** `from` is an authority of `part` at epoch `e`: remember where it is. */
function follow(part: Part, from: NodeId, e: number): void {
  if (part.role !== 'auth' && e >= (part.pointer?.epoch ?? 0)) part.pointer = {node: from, epoch: e}
}

export function onCopyMessage(ctx: ShardContext, from: NodeId, m: CopyMessage): void {
  const part = ctx.parts[m.p]!
  switch (m.type) {
    case 'sh.open': {
      if (m.h !== undefined && part.lastTook >= m.h) return ctx.send(from, {type: 'sh.took', p: m.p, e: m.h})
      if (ctx.leaving) return ctx.send(from, {type: 'sh.refuse', p: m.p, e: m.h ?? m.e, gen: ctx.selfEntry.gen})
      if (part.role === 'auth') return conflict(ctx, from, part, `open at epoch ${m.e}`)
      follow(part, from, m.e)
      return state(ctx, from, part, m.g)
    }
    case 'sh.reset': {
      if (part.role === 'auth') return conflict(ctx, from, part, `a move at epoch ${m.e}`)
      if (m.e < part.epoch) return
      if (part.role === 'holder' && m.e === part.epoch && m.g === part.gen) return ack(ctx, from, part, m.g)
      ctx.record({t: 'r', p: m.p, e: m.e, g: m.g, s: m.s, ss: m.ss, from})
      return ack(ctx, from, part, m.g)
    }
    case 'sh.batch': {
      if (part.role !== 'holder' || m.e !== part.epoch || m.g !== part.gen || part.complete) return
      if (m.n <= part.batches) return ack(ctx, from, part, m.g)
      if (m.n !== part.batches + 1) return state(ctx, from, part, m.g)
      ctx.record({t: 'b', p: m.p, e: m.e, g: m.g, n: m.n, kv: m.kv})
      return ack(ctx, from, part, m.g)
    }
    case 'sh.filled': {
      if (part.role !== 'holder' || m.e !== part.epoch || m.g !== part.gen) return
      if (part.complete) return ack(ctx, from, part, m.g)
      if (m.s !== part.seq) return state(ctx, from, part, m.g)
      ctx.record({t: 'f', p: m.p})
      return ack(ctx, from, part, m.g)
    }
    case 'sh.write': {
      if (part.role === 'auth') return conflict(ctx, from, part, `a write at epoch ${m.e}`)
      if (m.e < part.epoch) return
      if (m.w.s <= part.seq) return ack(ctx, from, part, m.g)
      if (m.w.s !== part.seq + 1 || (m.e > part.epoch && !part.complete)) return state(ctx, from, part, m.g)
      ctx.record({t: 'w', p: m.p, e: m.e, w: m.w})
      follow(part, from, m.e)
      return ack(ctx, from, part, m.g)
    }
    case 'sh.drop': {
      if (part.role === 'auth') return conflict(ctx, from, part, `a drop at epoch ${m.e}`)
      if (m.e < part.epoch) return
      if (part.role === 'none' && part.data.size === 0) return follow(part, from, m.e)
      const keys = part.data.size
      ctx.record({t: 'd', p: m.p, e: m.e, from})
      return ctx.event({type: 'drop', partition: m.p, keys, by: from})
    }
    case 'sh.handoff': {
      if (part.lastTook >= m.e) return ctx.send(from, {type: 'sh.took', p: m.p, e: m.e})
      if (ctx.leaving) return ctx.send(from, {type: 'sh.refuse', p: m.p, e: m.e, gen: ctx.selfEntry.gen})
      if (part.role === 'auth' || m.e <= part.epoch) return conflict(ctx, from, part, `a handoff of epoch ${m.e}`)
      if (!part.complete || part.seq !== m.s) return state(ctx, from, part, m.g)
      ctx.record({t: 'c', p: m.p, e: m.e})
      ctx.copies.adopt(m.p, from, m.s)
      for (const h of m.holders) if (h !== ctx.id && h !== from) ctx.copies.know(m.p, h)
      ctx.send(from, {type: 'sh.took', p: m.p, e: m.e})
      return ctx.event({type: 'handoff', partition: m.p, from, to: ctx.id, epoch: m.e, keys: part.data.size})
    }
    case 'sh.where':
      return follow(part, m.node, m.e)
  }
}
