/**
 * A link's write queue: the frames waiting to be handed to its socket, in order, with their
 * boundaries kept so that one request's frame can be taken out until it is written.
 *
 * - Small one-way messages are copied into a slab and share one batch frame (kind 5): the receiver
 *   decodes a batch with one unpackMultiple call, which is where a msgpack transport spends its
 *   time. A slab region becomes a queue entry when it is sealed (at flush, or when a frame that
 *   must stay separate is queued behind it).
 * - A request's frame is an entry of its own that its Pending points to (small ones copied into
 *   the slab as a region of their own); removing it blanks the entry, so a request that failed
 *   before it was written never reaches the peer. At flush, entries that lie back to back in one
 *   slab are handed to the socket as one buffer, so 64 requests issued in one turn are one write,
 *   not a 64-buffer writev.
 * - A frame the fault layer delays carries a release time; `take` hands over only the prefix
 *   whose release time has come, so a delayed frame holds back every frame queued after it (FIFO).
 */
import type {Pending} from './deadlines.js'
import {K_BATCH, K_MSG} from './frames.js'
import {writeU32} from './codec.js'

export interface Entry {
  /** null once removed. */
  buf: Buffer | null
  /** Monotonic ms before which the entry must not be written (0: any time). */
  at: number
  /** The request whose frame this is. */
  req: Pending | null
  /** One-way messages carried (for counting what a dropped queue loses). */
  msgs: number
  next: Entry | null
}

const SLAB_BYTES = 64 * 1024
// Frames above this are queued as their own buffer instead of being copied into the slab.
const BIG_FRAME = 16 * 1024
// A batch closes at this size so it stays far below any receiver's maxFrameBytes.
const BATCH_MAX = 60 * 1024

export class WriteQueue {
  /** Bytes queued (entries and the open slab region). */
  bytes = 0
  /** One-way messages queued. */
  msgs = 0
  private slab: Buffer = Buffer.allocUnsafeSlow(SLAB_BYTES)
  private slabStart = 0
  private slabEnd = 0
  /** Slab offset of the batch frame being filled, or -1. */
  private batchAt = -1
  /** One-way messages in the open slab region. */
  private openMsgs = 0
  private head: Entry | null = null
  private tail: Entry | null = null

  get empty(): boolean {
    return this.bytes === 0
  }

  /** Queues a one-way frame built by makeFrame(K_MSG): small ones join the open batch. */
  pushMsg(frame: Buffer): void {
    const n = frame.length
    if (n > BIG_FRAME) {
      this.push(frame, null, 0, 1)
      return
    }
    const body = n - 5
    let added = body
    if (this.batchAt < 0 || this.slabEnd + body > this.slab.length || this.slabEnd - this.batchAt + body > BATCH_MAX) {
      this.finishBatch()
      if (this.slabEnd + n > this.slab.length) this.newSlab()
      this.batchAt = this.slabEnd
      this.slab[this.slabEnd + 4] = K_BATCH
      this.slabEnd += 5
      added = n
    }
    this.slab.set(frame.subarray(5), this.slabEnd)
    this.slabEnd += body
    this.bytes += added
    this.msgs++
    this.openMsgs++
  }

  /** Queues a frame that is never taken out again (a response), copying small ones into the slab. */
  pushCopy(frame: Buffer): void {
    const n = frame.length
    if (n > BIG_FRAME) {
      this.push(frame, null, 0, 0)
      return
    }
    this.finishBatch()
    if (this.slabEnd + n > this.slab.length) this.newSlab()
    this.slab.set(frame, this.slabEnd)
    this.slabEnd += n
    this.bytes += n
  }

  /** Queues `frame` as an entry of its own; for a request, its Pending points at the entry. */
  push(frame: Buffer, req: Pending | null, at: number, msgs: number): void {
    this.seal()
    let buf = frame
    const n = frame.length
    if (n <= BIG_FRAME) {
      if (this.slabEnd + n > this.slab.length) this.newSlab()
      this.slab.set(frame, this.slabEnd)
      buf = this.slab.subarray(this.slabEnd, this.slabEnd + n)
      this.slabStart = this.slabEnd += n
    }
    this.append({buf, at, req, msgs, next: null})
    this.bytes += frame.length
    this.msgs += msgs
    if (req !== null) {
      req.entry = this.tail
      req.written = false
    }
  }

  /** Queues a one-way frame as its own entry (when the fault layer gives it a release time). */
  pushMsgAt(frame: Buffer, at: number): void {
    this.push(frame, null, at, frame[4] === K_MSG ? 1 : 0)
  }

  /** Takes a request's frame out of the queue; its bytes never reach the socket. */
  remove(e: Entry): void {
    if (e.buf === null) return
    this.bytes -= e.buf.length
    e.buf = null
    e.req = null
  }

  /** Release time of the first entry still waiting for one, or 0 when nothing waits. */
  nextAt(): number {
    for (let e = this.head; e !== null; e = e.next) if (e.buf !== null) return e.at
    return 0
  }

  /**
   * Moves the writable prefix into `out` (frames whose release time has come, in order), marks
   * the requests among them written, and returns the bytes moved. `now` only matters when some
   * entry carries a release time.
   */
  take(now: number, out: Buffer[]): number {
    this.seal()
    let n = 0
    let e = this.head
    // the current run of back-to-back bytes: [runBuf.byteOffset, + runLen) of one ArrayBuffer
    let runBuf: Buffer | null = null
    let runLen = 0
    while (e !== null) {
      const b = e.buf
      if (b !== null) {
        if (e.at > now) break
        if (runBuf !== null && b.buffer === runBuf.buffer && runBuf.byteOffset + runLen === b.byteOffset) runLen += b.length
        else {
          if (runBuf !== null) out.push(runLen === runBuf.length ? runBuf : Buffer.from(runBuf.buffer, runBuf.byteOffset, runLen))
          runBuf = b
          runLen = b.length
        }
        n += b.length
        this.msgs -= e.msgs
        const r = e.req
        if (r !== null) {
          r.written = true
          r.entry = null
        }
      }
      e = e.next
    }
    if (runBuf !== null) out.push(runLen === runBuf.length ? runBuf : Buffer.from(runBuf.buffer, runBuf.byteOffset, runLen))
    this.head = e
    if (e === null) this.tail = null
    this.bytes -= n
    return n
  }

  /** Drops everything queued; returns the one-way messages lost. Requests' entries are blanked too. */
  clear(): number {
    const lost = this.msgs
    for (let e = this.head; e !== null; e = e.next) {
      if (e.req) e.req.entry = null
      e.buf = null
      e.req = null
    }
    this.head = this.tail = null
    this.batchAt = -1
    this.slabStart = this.slabEnd
    this.openMsgs = 0
    this.bytes = 0
    this.msgs = 0
    return lost
  }

  private append(e: Entry): void {
    if (this.tail) this.tail.next = e
    else this.head = e
    this.tail = e
  }

  private newSlab(): void {
    this.seal()
    this.slab = Buffer.allocUnsafeSlow(SLAB_BYTES)
    this.slabStart = this.slabEnd = 0
  }

  private finishBatch(): void {
    if (this.batchAt >= 0) {
      writeU32(this.slab, this.batchAt, this.slabEnd - this.batchAt - 4)
      this.batchAt = -1
    }
  }

  /** Turns the open slab region into an entry. Slab bytes handed out are never overwritten. */
  private seal(): void {
    this.finishBatch()
    if (this.slabEnd > this.slabStart) {
      this.append({buf: this.slab.subarray(this.slabStart, this.slabEnd), at: 0, req: null, msgs: this.openMsgs, next: null})
      this.slabStart = this.slabEnd
      this.openMsgs = 0
    }
  }
}
