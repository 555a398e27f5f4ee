import {Args} from '@oclif/core'
import {DtkCommand, clusterFlags, clusterRef, renderTable} from '../../src/cli/index.js'
import {cluster, type KeyAction, type KeyInfo} from '../../src/cluster/index.js'
import {Keyring} from '../../src/security/index.js'

export default class ClusterKeys extends DtkCommand {
  static override summary = 'Generate gossip keys and rotate them across a running cluster'
  static override description = `Gossip packets are sealed with AES-GCM when a cluster is started with --secret (or DTK_SECRET): the primary key seals, every installed key opens. Rotate without downtime as memberlist does: \`install\` the new key on every node, \`use\` it (make it primary) everywhere, then \`remove\` the old one (by the key or by its fingerprint as \`list\` shows it). The cluster's recorded keyring follows each step, so a node restarted or joined later gets the keys the others have now. \`generate\` prints a new random key and needs no cluster. Keys are shown by fingerprint only.`
  static override examples = [
    '<%= config.bin %> cluster keys generate',
    '<%= config.bin %> cluster keys list',
    'K=$(<%= config.bin %> cluster keys generate); <%= config.bin %> cluster keys install $K && <%= config.bin %> cluster keys use $K',
    '<%= config.bin %> cluster keys remove 3f2a9c01b7de',
  ]
  static override args = {
    action: Args.string({description: 'what to do', options: ['generate', 'list', 'install', 'use', 'remove'], required: true}),
    key: Args.string({description: 'the key (base64 or passphrase), for install, use and remove; remove also takes a fingerprint'}),
  }
  static override flags = {...clusterFlags}

  async run(): Promise<unknown> {
    const {args, flags} = await this.parse(ClusterKeys)
    if (args.action === 'generate') {
      const key = Keyring.generateKey()
      this.out(key)
      return {key}
    }
    const res = await cluster.keys(clusterRef(flags), args.action as KeyAction, args.key)
    const show = (keys: KeyInfo[]) => keys.map((k) => (k.primary ? `*${k.fingerprint}` : k.fingerprint)).join(' ')
    this.out(renderTable(res.nodes, [{header: 'NODE', get: (r) => r.node}, {header: 'KEYS (primary first)', get: (r) => show(r.keys)}]))
    this.note(`recorded for restarts and joins: ${show(res.recorded)}`)
    if (res.missing.length) this.note(`not running now (they get the recorded keys when restarted): ${res.missing.join(', ')}`)
    for (const r of res.refused) this.note(`${r.node} refused: ${r.reason}`)
    if (res.refused.length > 0) process.exitCode = 1
    return res
  }
}
