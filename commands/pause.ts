import {cluster} from '../src/cluster/index.js'
import {signalCommand} from '../src/cli/signal-command.js'

export default signalCommand({
  name: 'pause',
  verb: 'paused',
  summary: 'Freeze a node with SIGSTOP',
  description:
    'The process stops running but keeps its sockets open: peers see a node that is there but never answers, the classic GC-pause or VM-stall fault. `dtk resume` continues it.',
  act: cluster.pause,
})
