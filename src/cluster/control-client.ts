import type {Transport} from '../transport/index.js'
import {DtkError} from '../errors/index.js'
import type {ControlRequest} from '../node/index.js'
import type {NodeRecord} from './state.js'

/**
 * The CLI's side of the control protocol: a client-only, `control` transport endpoint, so that
 * injected faults never stop dtk itself from reaching a node.
 */
export class ControlClient {
  private constructor(private readonly transport: Transport) {}

  static async open(): Promise<ControlClient> {
    // Loaded on first use: commands that only read the state dir (status, events) start faster without the codec.
    const {Transport} = await import('../transport/index.js')
    return new ControlClient(await Transport.listen({id: `dtk-cli-${process.pid}`, listen: false, control: true}))
  }

  async call<T>(node: NodeRecord, req: ControlRequest, timeoutMs = 3000): Promise<T> {
    try {
      return await this.transport.request<T>({id: node.id, host: node.host, port: node.port}, req, {timeoutMs})
    } catch (error) {
      const {TransportError} = await import('../transport/index.js')
      if (error instanceof TransportError) {
        throw new DtkError(`node ${node.id} (${node.host}:${node.port}) did not answer '${req.op}': ${error.code.toLowerCase().replace('_', ' ')}`)
      }
      throw error
    }
  }

  /** Like call, but undefined instead of an error: for "is it there?" questions. */
  async tryCall<T>(node: NodeRecord, req: ControlRequest, timeoutMs = 1000): Promise<T | undefined> {
    try {
      return await this.call<T>(node, req, timeoutMs)
    } catch {
      return undefined
    }
  }

  close(): Promise<void> {
    return this.transport.close()
  }
}

export async function withControl<T>(fn: (c: ControlClient) => Promise<T>): Promise<T> {
  const client = await ControlClient.open()
  try {
    return await fn(client)
  } finally {
    await client.close()
  }
}
