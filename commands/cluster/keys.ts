import {Args} from '@oclif/core'
import {DtkCommand, clusterFlags, clusterRef, renderTable} from '../../src/cli/index.js'
import {cluster} from '../../src/cluster/index.js'
import {UsageError} from '../../src/errors/index.js'
import {Keyring} from '../../src/security/index.js'

type KeyList = {keys: Array<{fingerprint: string; primary: boolean}>}

export default class ClusterKeys extends DtkCommand {
  static override summary = 'Generate gossip keys and rotate them across a running cluster'
  static override description = `Gossip packets are sealed with AES-GCM when a cluster is started with --secret (or DTK_SECRET): the primary key seals, every installed key opens. Rotate without downtime as memberlist does: \`install\` the new key on every node, \`use\` it (make it primary) everywhere, then \`remove\` the old one. \`generate\` prints a new random key and needs no cluster. Keys are shown by fingerprint only.`
  static override examples = [
    '<%= config.bin %> cluster keys generate',
    '<%= config.bin %> cluster keys list',
    'K=$(<%= config.bin %> cluster keys generate); <%= config.bin %> cluster keys install $K && <%= config.bin %> cluster keys use $K',
  ]
  static override args = {
    action: Args.string({description: 'what to do', options: ['generate', 'list', 'install', 'use', 'remove'], required: true}),
    key: Args.string({description: 'the key (base64 or passphrase), for install, use and remove'}),
  }
  static override flags = {...clusterFlags}

  async run(): Promise<unknown> {
    const {args, flags} = await this.parse(ClusterKeys)
    if (args.action === 'generate') {
      const key = Keyring.generateKey()
      this.out(key)
      return {key}
    }
    if (args.action !== 'list' && !args.key) throw new UsageError(`keys ${args.action} needs a key`)
    const res = await cluster.roleCallAll<KeyList>(clusterRef(flags), {op: 'keys', action: args.action, key: args.key})
    const rows = res.answers.map((a) => ({node: a.node, keys: a.answer.keys}))
    this.out(renderTable(rows, [{header: 'NODE', get: (r) => r.node}, {header: 'KEYS (primary first)', get: (r) => r.keys.map((k) => (k.primary ? `*${k.fingerprint}` : k.fingerprint)).join(' ')}]))
    if (res.missing.length) this.note(`not reached (do it again once they run): ${res.missing.join(', ')}`)
    return {nodes: rows, missing: res.missing}
  }
}
