import type {Transport} from '../transport/index.js'
import {DtkError} from '../errors/index.js'
import type {ControlRequest} from '../node/index.js'
import type {Keyring} from '../security/index.js'
import {loadSecret, type NodeRecord} from './state.js'

/**
 * The CLI's side of the control protocol: a client-only, `control` transport endpoint, so that
 * injected faults never stop dtk itself from reaching a node. When the cluster has a key, every
 * request but `status` is sealed with it (src/security/control-auth.ts): nodes refuse the rest.
 */
export class ControlClient {
  private constructor(
    private readonly transport: Transport,
    private readonly keyring: Keyring | undefined,
  ) {}

  /** `secret`: the cluster's recorded keyring (`<state-dir>/<name>/secret`), if it has one. */
  static async open(secret?: string): Promise<ControlClient> {
    // Loaded on first use: commands that only read the state dir (status, events) start faster without the codec.
    const {Transport} = await import('../transport/index.js')
    const {Keyring} = await import('../security/index.js')
    const keyring = secret ? Keyring.fromSecret(secret) : undefined
    return new ControlClient(await Transport.listen({id: `dtk-cli-${process.pid}`, listen: false, control: true}), keyring)
  }

  async call<T>(node: NodeRecord, req: ControlRequest, timeoutMs = 3000): Promise<T> {
    let wire: unknown = req
    if (this.keyring && req.op !== 'status') {
      const {sealControl} = await import('../security/index.js')
      wire = sealControl(this.keyring, req)
    }
    try {
      return await this.transport.request<T>({id: node.id, host: node.host, port: node.port}, wire, {timeoutMs})
    } catch (error) {
      const {TransportError} = await import('../transport/index.js')
      if (error instanceof TransportError) {
        // The node answered, with an error: say what it said, not that it "did not answer".
        if (error.code === 'REMOTE_ERROR') throw new DtkError(`node ${node.id} refused '${req.op}': ${error.message}`)
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

export async function withControl<T>(fn: (c: ControlClient) => Promise<T>, secret?: string): Promise<T> {
  const client = await ControlClient.open(secret)
  try {
    return await fn(client)
  } finally {
    await client.close()
  }
}

/** A control client holding the keyring recorded for the cluster in `dir`. */
export function withClusterControl<T>(dir: string, fn: (c: ControlClient) => Promise<T>): Promise<T> {
  return withControl(fn, loadSecret(dir))
}
