import type {NodeId} from '../core/index.js'
import {Part} from './part.js'
import type {ShardRecord, ShardSnapshot} from './records.js'
import {RingState} from './ring-state.js'

/**
 * A shard node's durable state — its partitions, its ring, its intent to leave — and the one
 * function that changes it, `apply(record)`, used both live (right after the record is made)
 * and on replay at start, so a restart rebuilds exactly what was durable. A snapshot is this
 * state written out whole.
 */
export class ShardState {
  readonly parts: Part[]
  readonly ring = new RingState()
  leaveIntent = false

  constructor(partitions: number, limits: {maxSessions: number; sessionTtl: number; backlog: number}) {
    this.parts = Array.from({length: partitions}, (_, p) => new Part(p, limits))
  }

  apply(r: ShardRecord): void {
    switch (r.t) {
      case 'w':
        return this.parts[r.p]!.applyWrite(r.e, r.w)
      case 'r':
        return this.parts[r.p]!.reset(r.e, r.g, r.s, r.ss, r.from)
      case 'b':
        this.parts[r.p]!.applyBatch(r.n, r.kv)
        return
      case 'f':
        return this.parts[r.p]!.filled()
      case 'c':
        return this.parts[r.p]!.claim(r.e)
      case 'boot':
        for (const p of r.ps) this.parts[p]!.claim(1)
        return
      case 'h':
        return this.parts[r.p]!.startHanding(r.to, r.e)
      case 'hd':
        return this.parts[r.p]!.handed(r.to, r.e)
      case 'x':
        return this.parts[r.p]!.cancelHanding(r.e)
      case 'd':
        this.parts[r.p]!.drop(r.e, r.from)
        return
      case 'ring':
        this.ring.mergeAll(r.ring)
        return
      case 'leave':
        this.leaveIntent = true
        return
    }
  }

  load(s: ShardSnapshot): void {
    this.ring.mergeAll(s.ring)
    this.leaveIntent = s.leave
    for (const x of s.parts) {
      const part = this.parts[x.p]!
      part.role = x.r
      part.epoch = x.e
      part.seq = x.s
      part.complete = x.c
      part.gen = x.g
      part.batches = x.n
      part.lastTook = x.lt
      part.handing = x.h ? {to: x.h[0], epoch: x.h[1]} : null
      part.pointer = x.ptr ? {node: x.ptr[0], epoch: x.ptr[1]} : null
      for (const [k, v, ver] of x.kv) part.data.set(k, {v, ver})
      part.loadSessions(x.ss)
    }
  }

  snapshot(): ShardSnapshot {
    const parts = this.parts
      .filter((x) => !x.blank)
      .map((x) => ({
        p: x.p,
        r: x.role,
        e: x.epoch,
        s: x.seq,
        c: x.complete,
        g: x.gen,
        n: x.batches,
        lt: x.lastTook,
        ...(x.handing ? {h: [x.handing.to, x.handing.epoch] as [NodeId, number]} : {}),
        ...(x.pointer ? {ptr: [x.pointer.node, x.pointer.epoch] as [NodeId, number]} : {}),
        kv: x.keyTuples(),
        ss: x.sessionTuples(),
      }))
    return {v: 1, ring: this.ring.tuples(), leave: this.leaveIntent, parts}
  }

  keyCount(): number {
    let n = 0
    for (const part of this.parts) n += part.data.size
    return n
  }
}
