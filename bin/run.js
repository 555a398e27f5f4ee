#!/usr/bin/env node
// `dtk node run` (how clusters start their nodes) skips oclif: a node is a long-lived process and
// oclif's loaded config would only add to its memory. Help and --json still go through oclif.
const argv = process.argv.slice(2)
if (argv[0] === 'node' && argv[1] === 'run' && !argv.some((a) => a === '--help' || a === '-h' || a === '--json')) {
  // msgpackr's native string extractor costs a node several MiB of memory and speeds up only
  // large messages; a node's are small (docs/architecture.md, Memory). DTK_MSGPACK_NATIVE=1 keeps it.
  if (process.env.DTK_MSGPACK_NATIVE !== '1') process.env.MSGPACKR_NATIVE_ACCELERATION_DISABLED ??= 'true'
  const {launchNode} = await import('../dist/src/node/launch.js')
  process.exitCode = await launchNode(argv.slice(2))
} else {
  const {execute} = await import('@oclif/core')
  await execute({dir: import.meta.url})
}
