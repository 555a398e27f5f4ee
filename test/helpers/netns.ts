import {spawnSync} from 'node:child_process'

/**
 * Two test hosts on one machine: network namespaces joined by a veth pair, with addresses that
 * exist only inside them. Everything is named after this process so parallel runs do not collide,
 * and `destroy` removes it all (deleting a namespace deletes its end of the veth).
 */
export interface NetnsPair {
  a: {ns: string; ip: string}
  b: {ns: string; ip: string}
  destroy(): void
}

function sh(args: string[]): {ok: boolean; err: string} {
  const r = spawnSync('ip', args, {encoding: 'utf8'})
  return {ok: r.status === 0, err: (r.stderr || r.error?.message || '').trim()}
}

/** Returns the pair, or the reason it cannot be made here (not root, no iproute2, no CAP_NET_ADMIN). */
export function createNetnsPair(): NetnsPair | string {
  const tag = `${process.pid % 100000}`
  const subnet = 10 + (process.pid % 200)
  const a = {ns: `dtk-a-${tag}`, ip: `10.213.${subnet}.1`}
  const b = {ns: `dtk-b-${tag}`, ip: `10.213.${subnet}.2`}
  const va = `dtkva${tag}`
  const vb = `dtkvb${tag}`
  const destroy = () => {
    sh(['netns', 'del', a.ns])
    sh(['netns', 'del', b.ns])
  }
  const steps: string[][] = [
    ['netns', 'add', a.ns],
    ['netns', 'add', b.ns],
    ['link', 'add', va, 'type', 'veth', 'peer', 'name', vb],
    ['link', 'set', va, 'netns', a.ns],
    ['link', 'set', vb, 'netns', b.ns],
    ['-n', a.ns, 'addr', 'add', `${a.ip}/24`, 'dev', va],
    ['-n', b.ns, 'addr', 'add', `${b.ip}/24`, 'dev', vb],
    ['-n', a.ns, 'link', 'set', va, 'up'],
    ['-n', b.ns, 'link', 'set', vb, 'up'],
    ['-n', a.ns, 'link', 'set', 'lo', 'up'],
    ['-n', b.ns, 'link', 'set', 'lo', 'up'],
  ]
  for (const step of steps) {
    const r = sh(step)
    if (!r.ok) {
      destroy()
      return `ip ${step.join(' ')} failed: ${r.err || 'unknown error'}`
    }
  }
  return {a, b, destroy}
}
