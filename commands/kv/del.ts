import {Args} from '@oclif/core'
import {DtkCommand} from '../../src/cli/index.js'
import {callOnce, checkedOp, kvFlags, oneResult, outcomeLine, singleNodeFlag, type OneResult} from '../../src/kvclient/cli.js'

export default class KvDel extends DtkCommand {
  static override summary = 'Delete a key from a KV-serving cluster'
  static override description = `Prints "deleted" when the key was there, "absent" when it was not (either way it is absent now, exit 0). In a history a delete is a write of null. A delete that failed exits 1 and says whether it may still have taken effect.`
  static override examples = ['<%= config.bin %> kv del user:1', '<%= config.bin %> kv del session:42 --node n3 --json']
  static override args = {key: Args.string({description: 'the key', required: true})}
  static override flags = {...kvFlags, node: singleNodeFlag}

  async run(): Promise<OneResult> {
    const {args, flags} = await this.parse(KvDel)
    const op = checkedOp({f: 'delete', key: args.key}) as {f: 'delete'; key: string}
    const r = oneResult(op, await callOnce(flags, op))
    if (r.outcome === 'ok') this.out(r.existed === false ? 'absent' : r.existed === true ? 'deleted' : 'ok')
    else {
      this.logToStderr(outcomeLine('del', r))
      process.exitCode = 1
    }
    return r
  }
}
