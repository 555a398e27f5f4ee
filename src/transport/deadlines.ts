/**
 * Pending requests and their deadlines. Deadlines run on the monotonic clock
 * (`performance.now()`), so a wall-clock step (NTP, a VM resumed, a test's fake clock) neither
 * expires requests early nor keeps them alive.
 */
import {performance} from 'node:perf_hooks'
import type {Entry} from './write-queue.js'
import type {Conn} from './conn.js'

export const monotonicNow = (): number => performance.now()

/**
 * One request awaiting its response. It is also a node of the intrusive list of requests sharing
 * its timeout (see Deadlines), so a request costs no timer and no closure of its own, and answering
 * it unlinks it in O(1). Links and callbacks are cleared when it settles, so a settled request that
 * has already reached the old generation does not keep younger ones alive.
 */
export class Pending {
  resolve: ((v: any) => void) | null = null
  reject: ((e: Error) => void) | null = null
  prev: Pending | null = null
  next: Pending | null = null
  list: DeadlineList | null = null
  /**
   * Where the request's frame is, which decides the outcome of a failure: in the link's write
   * queue (`entry` set, removable: `never-sent`), or handed to the socket (`written`: `unknown`).
   */
  written = false
  entry: Entry | null = null

  constructor(
    /** The link whose `pending` map holds this request. */
    readonly link: Conn,
    readonly id: number,
    readonly peer: string,
    readonly deadline: number,
    readonly timeoutMs: number,
  ) {}

  settle(err: Error | null, value?: unknown): void {
    const resolve = this.resolve
    const reject = this.reject
    this.resolve = this.reject = null
    this.entry = null
    if (err) reject?.(err)
    else resolve?.(value)
  }
}

/** Requests with the same timeout, oldest first: their deadlines are in insertion order. */
interface DeadlineList {
  ms: number
  head: Pending | null
  tail: Pending | null
}

/**
 * Request timeouts for one endpoint with a single timer. Requests are kept in one FIFO list per
 * distinct timeout value (so each list is sorted by deadline and a response unlinks its request in
 * O(1)); the timer is armed for the earliest list head. A response does not touch the timer: when
 * it fires early because its request was answered, it re-arms for the new earliest head. Expired
 * requests are rejected in deadline order even when the timer fires late. With nothing pending
 * the timer is unref'd so it never holds the process open.
 */
export class Deadlines {
  private readonly lists = new Map<number, DeadlineList>()
  private timer: NodeJS.Timeout | null = null
  private timerAt = 0
  private count = 0
  private readonly sweepBound = (): void => this.sweep()

  constructor(private readonly onExpire: (p: Pending) => void) {}

  add(p: Pending): void {
    let l = this.lists.get(p.timeoutMs)
    if (l === undefined) {
      l = {ms: p.timeoutMs, head: null, tail: null}
      this.lists.set(p.timeoutMs, l)
    }
    p.list = l
    p.prev = l.tail
    if (l.tail) l.tail.next = p
    else l.head = p
    l.tail = p
    if (this.count++ === 0 && this.timer) this.timer.ref()
    if (this.timer === null || p.deadline < this.timerAt) this.arm(p.deadline)
  }

  remove(p: Pending): void {
    const l = p.list
    if (l === null) return
    if (p.prev) p.prev.next = p.next
    else l.head = p.next
    if (p.next) p.next.prev = p.prev
    else l.tail = p.prev
    p.prev = p.next = null
    p.list = null
    if (--this.count === 0 && this.timer) this.timer.unref()
  }

  clear(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
  }

  private arm(at: number): void {
    if (this.timer) clearTimeout(this.timer)
    this.timerAt = at
    this.timer = setTimeout(this.sweepBound, Math.max(1, Math.ceil(at - monotonicNow())))
    if (this.count === 0) this.timer.unref()
  }

  private sweep(): void {
    this.timer = null
    const now = monotonicNow()
    let next = Infinity
    const expired: Pending[] = []
    for (const l of this.lists.values()) {
      let p = l.head
      while (p !== null && p.deadline <= now) {
        const n: Pending | null = p.next
        this.remove(p)
        expired.push(p)
        p = n
      }
      if (p === null) this.lists.delete(l.ms)
      else if (p.deadline < next) next = p.deadline
    }
    if (expired.length > 1) expired.sort((a, b) => a.deadline - b.deadline)
    for (const p of expired) this.onExpire(p)
    if (next !== Infinity && this.timer === null) this.arm(next)
  }
}
