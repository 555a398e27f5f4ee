/**
 * Pipes stdin through a line transformer to stdout, for commands made for pipelines (`dtk ring
 * lookup`): reads in large chunks, writes each chunk's output at once, waits for 'drain' when
 * stdout's buffer is full, and stops quietly when the reader goes away (EPIPE, as with `| head`).
 */
export interface LineTransform {
  push(chunk: Buffer): Buffer[]
  end(): Buffer[]
}

export interface PipeResult {
  /** The reader closed the pipe before the input ended. */
  closed: boolean
}

export async function pipeLines(t: LineTransform, input: NodeJS.ReadableStream = process.stdin, output: NodeJS.WritableStream = process.stdout): Promise<PipeResult> {
  let closed = false
  let failure: Error | undefined
  let wake: (() => void) | undefined
  // Stays attached: after EPIPE a stream may report again, and an unheard 'error' would crash.
  output.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE' || err.code === 'ERR_STREAM_DESTROYED') closed = true
    else failure ??= err
    wake?.()
  })
  const write = async (bufs: Buffer[]) => {
    for (const b of bufs) {
      if (closed || failure) return
      if (!output.write(b)) {
        await new Promise<void>((resolve) => {
          wake = resolve
          output.once('drain', resolve)
        })
        wake = undefined
      }
    }
  }
  for await (const chunk of input) {
    await write(t.push(chunk as Buffer))
    if (closed || failure) break
  }
  if (!closed && !failure) await write(t.end())
  if (failure) throw failure
  return {closed}
}
