import {cluster} from '../src/cluster/index.js'
import {signalCommand} from '../src/cli/signal-command.js'

export default signalCommand({
  name: 'resume',
  verb: 'resumed',
  summary: 'Continue a paused node with SIGCONT',
  description: 'The node picks up where it stopped; timers that fired while it was frozen run at once.',
  act: cluster.resume,
})
