import {Args} from '@oclif/core'
import {DtkCommand} from '../../src/cli/index.js'
import {callOnce, checkedOp, kvFlags, oneResult, outcomeLine, singleNodeFlag, type OneResult} from '../../src/kvclient/cli.js'

export default class KvGet extends DtkCommand {
  static override summary = 'Read a key from a KV-serving cluster and print its value as JSON'
  static override description = `Sends a get to one node (--node, or a node that is up, at random) and follows "not the leader, try n3" redirects. Prints the value as JSON on stdout and exits 0. A key that is absent prints nothing, says "not found" on stderr and exits 1. A request that failed (exit 1) says whether it certainly did not happen or may have (see docs/kv.md).`
  static override examples = ['<%= config.bin %> kv get user:1', '<%= config.bin %> kv get user:1 --node n2 --json', '<%= config.bin %> kv get config --name kv --timeout 500ms']
  static override args = {key: Args.string({description: 'the key', required: true})}
  static override flags = {...kvFlags, node: singleNodeFlag}

  async run(): Promise<OneResult> {
    const {args, flags} = await this.parse(KvGet)
    const op = checkedOp({f: 'get', key: args.key}) as {f: 'get'; key: string}
    const r = oneResult(op, await callOnce(flags, op))
    if (r.outcome === 'ok') {
      r.found = r.value !== undefined && r.value !== null
      if (r.found) this.out(JSON.stringify(r.value))
      else {
        this.logToStderr(`${args.key}: not found`)
        process.exitCode = 1
      }
    } else {
      this.logToStderr(outcomeLine('get', r))
      process.exitCode = 1
    }
    return r
  }
}
