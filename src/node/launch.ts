import {DtkError} from '../errors/index.js'
import {nodeOptionsFrom, parseNodeRunArgv} from './run-flags.js'
import {startNode} from './runtime.js'

/**
 * `dtk node run` without oclif (see run-flags.ts for why): parse, start, run until SIGTERM or
 * SIGINT. Returns the exit code; errors are one line on stderr, exit 2 for usage errors.
 */
export async function launchNode(argv: string[]): Promise<number> {
  try {
    const node = await startNode(await nodeOptionsFrom(parseNodeRunArgv(argv)))
    process.once('SIGTERM', () => void node.stop('SIGTERM'))
    process.once('SIGINT', () => void node.stop('SIGINT'))
    process.stderr.write(`node ${node.id} listening on ${node.address.host}:${node.address.port}, pid ${process.pid}\n`)
    await node.stopped
    return node.failure ? 1 : 0
  } catch (error) {
    process.stderr.write(`Error: ${(error as Error).message}\n`)
    return error instanceof DtkError ? error.exitCode : 1
  }
}
