import {Args, Flags} from '@oclif/core'
import {DtkCommand} from '../../src/cli/index.js'
import {ringConfigFrom, ringFlags} from '../../src/cli/ring-flags.js'
import {UsageError} from '../../src/errors/index.js'

export default class RingLookup extends DtkCommand {
  static override summary = 'Print the node (or nodes) each key is placed on, for keys given or streamed on stdin'
  static override description = `Places each KEY with the chosen algorithm and prints "key<TAB>node", or "key<TAB>node1,node2,…" with --replicas (primary first). With no KEY it reads keys from stdin, one per line, and streams the answers as fast as the pipe takes them, so it fits in a pipeline; --json prints one JSON object per key (JSONL). Empty lines are skipped; a trailing carriage return is not part of a key.

Algorithms: ring (default; virtual nodes on a 32-bit circle, --vnodes per node), ketama (libketama / npm hashring compatible: same servers, same placement), jump (Lamping & Veach jump consistent hash; node order is bucket order, ~ is an empty bucket), rendezvous (highest random weight), maglev (lookup table of prime size --table-size), bounded (the ring with bounded loads, --epsilon: an assignment that depends on the order keys arrive in). The same flags always give the same placement. docs/hashring.md explains each.`
  static override examples = [
    '<%= config.bin %> ring lookup user:1 user:2 user:3 --nodes a,b,c',
    '<%= config.bin %> ring lookup --nodes a,b,c,d --algo jump < keys.txt > placement.tsv',
    'seq 1 1000000 | <%= config.bin %> ring lookup --nodes a,b,c --replicas 2 | head',
    '<%= config.bin %> ring lookup user:42 --nodes 10.0.0.1:11211,10.0.0.2:11211 --algo ketama --json',
    '<%= config.bin %> ring lookup user:42 --nodes a,b,c --weights a=2',
  ]
  static override strict = false
  static override args = {
    // ignoreStdin: oclif would otherwise read piped stdin as the argument; the command streams it itself.
    key: Args.string({description: 'keys to place (none: read stdin, one key per line)', ignoreStdin: true}),
  }
  static override flags = {
    nodes: Flags.string({char: 'n', description: 'the nodes, comma-separated (a,b,c)', required: true}),
    ...ringFlags,
  }

  async run(): Promise<void> {
    const {argv, flags} = await this.parse(RingLookup)
    const {createPlacement, LookupLines} = await import('../../src/hashring/index.js')
    const placement = createPlacement(ringConfigFrom(flags, flags.nodes))
    placement.checkReplicas(flags.replicas)
    const lines = new LookupLines(placement, {replicas: flags.replicas, json: this.jsonEnabled()})
    const keys = argv as string[]
    if (keys.length > 0) {
      for (const k of keys) if (k === '' || /[\r\n]/.test(k)) throw new UsageError(`a KEY must be a non-empty single line, not ${JSON.stringify(k)}`)
      for (const b of [...lines.push(Buffer.from(keys.join('\n') + '\n')), ...lines.end()]) process.stdout.write(b)
      return
    }
    if (process.stdin.isTTY) this.note('reading keys from stdin, one per line (Ctrl-D to end)')
    const {pipeLines} = await import('../../src/cli/line-stream.js')
    await pipeLines(lines)
  }
}
