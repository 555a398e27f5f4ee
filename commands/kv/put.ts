import {Args, Flags} from '@oclif/core'
import {DtkCommand} from '../../src/cli/index.js'
import {callOnce, checkedOp, kvFlags, oneResult, outcomeLine, parseValue, singleNodeFlag, type OneResult} from '../../src/kvclient/cli.js'

export default class KvPut extends DtkCommand {
  static override summary = 'Write a value under a key in a KV-serving cluster'
  static override description = `VALUE is JSON when it parses as JSON (3, "3", {"a":1}, [1,2]) and a string otherwise (hello); --string takes it as a string as it is. Prints "ok" once the node acknowledged the write (on kv-local: once it is durable). A write whose answer did not come in time exits 1 and says it may or may not have taken effect; one that certainly did not exits 1 and says so.`
  static override examples = ['<%= config.bin %> kv put user:1 \'{"name":"ada"}\'', '<%= config.bin %> kv put counter 3 --node n1', '<%= config.bin %> kv put greeting 42 --string --json']
  static override args = {
    key: Args.string({description: 'the key', required: true}),
    value: Args.string({description: 'the value (JSON, or a string)', required: true}),
  }
  static override flags = {...kvFlags, node: singleNodeFlag, string: Flags.boolean({description: 'take VALUE as a string, even if it parses as JSON'})}

  async run(): Promise<OneResult> {
    const {args, flags} = await this.parse(KvPut)
    const op = checkedOp({f: 'put', key: args.key, value: parseValue(args.value, 'VALUE', flags.string)}) as {f: 'put'; key: string; value: never}
    const r = oneResult(op, await callOnce(flags, op))
    r.value = op.value
    if (r.outcome === 'ok') this.out('ok')
    else {
      this.logToStderr(outcomeLine('put', r))
      process.exitCode = 1
    }
    return r
  }
}
