import {Args, Flags} from '@oclif/core'
import {DtkCommand, clusterFlags, clusterRef} from '../../src/cli/index.js'
import {cluster, type NodeView} from '../../src/cluster/index.js'
import {UsageError} from '../../src/errors/index.js'

export default class ClusterAdd extends DtkCommand {
  static override summary = 'Record a node that runs elsewhere, by its address'
  static override description = `For clusters that span machines or network namespaces: start \`dtk node run --host ADDR\` there, then add it here. dtk checks that a node with that id answers at the address. Added nodes are reached over their control RPC: ping, partition, faults and down work on them; crash, pause and restart need the process on this machine.`
  static override examples = ['<%= config.bin %> cluster add m1 --address 10.0.0.2:7101', '<%= config.bin %> cluster add m2 --address [fd00::2]:7101 --json']
  static override args = {id: Args.string({description: 'the node id it was started with', required: true})}
  static override flags = {...clusterFlags, address: Flags.string({char: 'a', description: 'host:port the node listens on', required: true})}

  async run(): Promise<NodeView> {
    const {args, flags} = await this.parse(ClusterAdd)
    const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(flags.address)
    if (!m) throw new UsageError(`--address '${flags.address}' is not host:port`)
    const view = await cluster.addRemote(clusterRef(flags), args.id, m[1] ?? m[2]!, Number(m[3]))
    this.out(`added ${view.id} at ${view.host}:${view.port} (${view.role}, pid ${view.pid} there)`)
    return view
  }
}
