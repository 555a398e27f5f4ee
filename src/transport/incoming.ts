/**
 * What arrives on a link: the hello, one-way messages and batches, requests (answered on the
 * connection they came on), responses and error responses (matched to pending requests by
 * correlation id), and the bye. Anything else closes the connection (FrameError).
 */
import {corrId, K_BATCH, K_BYE, K_ERR, K_HELLO, K_MSG, K_REQ, K_RES, makeFrame, parseHello} from './frames.js'
import {decodeRange, decodeSequence} from './codec.js'
import {FrameError, TransportError} from './errors.js'
import type {Conn} from './conn.js'
import type {Transport} from './transport.js'

export function handleFrame(t: Transport, c: Conn, buf: Buffer, start: number, end: number): void {
  t.counters.framesIn++
  const kind = buf[start]
  const ctx = c.ctx
  if (ctx === null) {
    if (kind !== K_HELLO) throw new FrameError(`first frame is kind ${kind}, not hello`)
    t.links.onHello(c, parseHello(buf, start + 1, end))
    return
  }
  switch (kind) {
    case K_MSG: {
      const msg = decodeRange(buf, start + 1, end)
      const h = t.msgHandler
      if (t.isClosed() || h === null) return
      try {
        h(msg, ctx)
      } catch (err) {
        t.log('error', 'transport: message handler threw', {from: ctx.from, err: String(err)})
      }
      return
    }
    case K_BATCH: {
      const msgs = decodeSequence(buf, start + 1, end)
      t.counters.framesIn += msgs.length - 1
      const h = t.msgHandler
      if (t.isClosed() || h === null) return
      for (let i = 0; i < msgs.length; i++) {
        try {
          h(msgs[i], ctx)
        } catch (err) {
          t.log('error', 'transport: message handler threw', {from: ctx.from, err: String(err)})
        }
      }
      return
    }
    case K_REQ: {
      const id = corrId(buf, start, end)
      const msg = decodeRange(buf, start + 6, end)
      handleRequest(t, c, id, msg)
      return
    }
    case K_RES:
    case K_ERR: {
      const id = corrId(buf, start, end)
      const body = decodeRange(buf, start + 6, end)
      const p = c.pending.get(id)
      if (!p) return // timed out already, or a duplicate
      c.pending.delete(id)
      t.deadlines.remove(p)
      if (kind === K_RES) p.settle(null, body)
      else p.settle(new TransportError('REMOTE_ERROR', typeof body === 'string' ? body : String(body), c.peerId, 'answered'))
      return
    }
    case K_BYE:
      c.byeReceived = true
      return
    case K_HELLO:
      throw new FrameError('second hello on one connection')
    default:
      throw new FrameError(`unknown frame kind ${kind}`)
  }
}

function handleRequest(t: Transport, c: Conn, id: number, msg: unknown): void {
  if (t.isClosed()) return
  const ctx = c.ctx!
  const h = t.reqHandler
  if (!h) {
    respond(t, c, K_ERR, id, `no request handler on ${t.id}`)
    return
  }
  let r: unknown
  try {
    r = h(msg, ctx)
  } catch (err) {
    respond(t, c, K_ERR, id, errMessage(err))
    return
  }
  if (r !== null && typeof r === 'object' && typeof (r as PromiseLike<unknown>).then === 'function') {
    ;(r as PromiseLike<unknown>).then(
      (v) => respond(t, c, K_RES, id, v),
      (err) => respond(t, c, K_ERR, id, errMessage(err)),
    )
  } else respond(t, c, K_RES, id, r)
}

/** Answers on the connection the request came on; subject to our faults toward the requester. */
function respond(t: Transport, c: Conn, kind: number, id: number, body: unknown): void {
  if (t.isClosed() || c.state !== 'open' || !c.socket) return
  let frame: Buffer
  try {
    frame = makeFrame(kind, id, body)
    if (frame.length - 4 > t.maxFrameBytes) throw new Error(`frame of ${frame.length - 4} bytes exceeds the ${t.maxFrameBytes}-byte limit`)
  } catch (err) {
    frame = makeFrame(K_ERR, id, `response not encodable: ${errMessage(err)}`)
  }
  if (!c.room(frame.length)) {
    t.counters.dropped++
    t.log('warn', 'transport: response dropped, queue full', {to: c.peerId})
    return
  }
  const d = c.verdict()
  if (d < 0) {
    t.counters.dropped++
    t.links.breakStream(c, 'fault')
    return
  }
  c.queueResponse(frame, d)
}

function errMessage(err: unknown): string {
  if (err instanceof Error) return err.message
  return String(err)
}
