import {cluster} from '../src/cluster/index.js'
import {signalCommand} from '../src/cli/signal-command.js'

export default signalCommand({
  name: 'crash',
  verb: 'crashed',
  summary: 'SIGKILL the node, as a power cut would',
  description:
    'Kills the node process with SIGKILL: no shutdown, no flush. Its data dir stays, and `dtk restart` brings it back with the same id, port and data.',
  act: cluster.crash,
})
