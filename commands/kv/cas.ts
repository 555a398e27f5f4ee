import {Args, Flags} from '@oclif/core'
import {DtkCommand} from '../../src/cli/index.js'
import {callOnce, checkedOp, kvFlags, oneResult, outcomeLine, parseValue, showValue, singleNodeFlag, type OneResult} from '../../src/kvclient/cli.js'

export default class KvCas extends DtkCommand {
  static override summary = 'Compare-and-set: write NEW under a key only if it holds EXPECTED'
  static override description = `EXPECTED and NEW are JSON when they parse as JSON and strings otherwise (--string: strings as they are); EXPECTED null means "only if the key is absent". Prints "ok" when the key held EXPECTED and now holds NEW. When it held something else the cas happened and changed nothing: it prints what it found and exits 1. Other failures exit 1 and say whether the cas may still have taken effect.`
  static override examples = ['<%= config.bin %> kv cas counter 3 4', '<%= config.bin %> kv cas lock null \'"owner-7"\' --node n1', '<%= config.bin %> kv cas config \'{"v":1}\' \'{"v":2}\' --json']
  static override args = {
    key: Args.string({description: 'the key', required: true}),
    expected: Args.string({description: 'the value it must hold (null: absent)', required: true}),
    new: Args.string({description: 'the value to write', required: true}),
  }
  static override flags = {...kvFlags, node: singleNodeFlag, string: Flags.boolean({description: 'take EXPECTED and NEW as strings, even if they parse as JSON'})}

  async run(): Promise<OneResult & {expected: unknown}> {
    const {args, flags} = await this.parse(KvCas)
    const expected = flags.string && args.expected === 'null' ? null : parseValue(args.expected, 'EXPECTED', flags.string, true)
    const op = checkedOp({f: 'cas', key: args.key, expected, value: parseValue(args.new, 'NEW', flags.string)}) as {f: 'cas'; key: string; expected: null; value: never}
    const r = oneResult(op, await callOnce(flags, op))
    const out = {...r, expected: op.expected, value: r.outcome === 'fail' && r.error === 'mismatch' ? (r.value ?? null) : op.value}
    if (r.outcome === 'ok') this.out('ok')
    else if (r.outcome === 'fail' && r.error === 'mismatch') {
      this.out(`mismatch: ${args.key} holds ${showValue(r.value)}, not ${showValue(op.expected)}; nothing changed`)
      process.exitCode = 1
    } else {
      this.logToStderr(outcomeLine('cas', r))
      process.exitCode = 1
    }
    return out
  }
}
