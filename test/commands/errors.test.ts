import {spawnSync} from 'node:child_process'
import {existsSync, mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {alive, dtk, killAllUnder, recordedPids, tempDir} from '../helpers/cli.js'

/** "Errors that name the real cause": each message of the issue, checked on the built CLI. */
describe('errors that name the real cause', () => {
  const stateDir = tempDir('errors')
  const env = {DTK_STATE_DIR: stateDir}
  afterAll(() => killAllUnder(stateDir))

  it('cluster up --host with an address that is not on this machine fails before starting anything, naming the address', async () => {
    // 192.0.2.0/24 is TEST-NET-1 (RFC 5737): never assigned to a machine, so never bindable here.
    for (const extra of [[], ['--base-port', '7400']]) {
      const r = await dtk(['cluster', 'up', '--name', 'foreign', '--host', '192.0.2.7', ...extra], env)
      expect(r.code).toBe(2)
      expect(r.stderr).toMatch(/^Error: --host 192\.0\.2\.7 is not an address of this machine/)
      expect(r.stderr).not.toMatch(/in use/)
    }
    const dns = await dtk(['cluster', 'up', '--name', 'foreign', '--host', 'no-such-host.invalid'], env)
    expect(dns.code).toBe(2)
    expect(dns.stderr).toMatch(/--host no-such-host\.invalid does not resolve to an address/)
    expect(existsSync(join(stateDir, 'foreign'))).toBe(false)
  })

  describe('on a cluster whose role has no membership', () => {
    beforeAll(async () => {
      const r = await dtk(['cluster', 'up', '--name', 'echo', '--nodes', '2'], env)
      expect(r.code, r.stderr).toBe(0)
    })

    it('members, metrics and keys say which role the nodes run and which the command needs', async () => {
      for (const args of [['cluster', 'members'], ['cluster', 'metrics'], ['cluster', 'keys', 'list']]) {
        const r = await dtk([...args, '--name', 'echo'], env)
        expect(r.code, args.join(' ')).toBe(2)
        expect(r.stderr.trim()).toMatch(new RegExp(`^Error: cluster 'echo' runs role 'echo'; 'dtk ${args.join(' ')}' needs role 'gossip'`))
      }
    })

    it('a role command to a node that answers with an error reports its answer, not "did not answer"', async () => {
      const {cluster} = await import('../../src/cluster/index.js')
      const err = await cluster.roleCall({stateDir, name: 'echo'}, 'n1', {op: 'members'}).catch((e: Error) => e)
      expect((err as Error).message).toBe("node n1 refused 'role': role 'echo' takes no commands")
    })

    // Eight CLI runs in a row: on a loaded machine that outlasts the default minute.
    it('events: --limit with --follow is refused; --node works for a node that has left; a new run does not show the previous run', {timeout: 180_000}, async () => {
      const both = await dtk(['cluster', 'events', '--name', 'echo', '--limit', '2', '--follow'], env)
      expect(both.code).toBe(2)
      expect(both.stderr).toMatch(/--limit shows the last N events and --follow waits for new ones/)
      expect((await dtk(['cluster', 'join', '--name', 'echo'], env)).code).toBe(0)
      expect((await dtk(['cluster', 'leave', 'n3', '--name', 'echo'], env)).code).toBe(0)
      const left = await dtk(['cluster', 'events', '--name', 'echo', '--node', 'n3'], env)
      expect(left.code, left.stderr).toBe(0)
      expect(left.stdout).toMatch(/n3\s+node\.start/)
      expect(left.stdout).toMatch(/dtk\s+cluster\.leave target=n3/)
      expect((await dtk(['cluster', 'down', '--name', 'echo'], env)).code).toBe(0)
      expect((await dtk(['cluster', 'up', '--name', 'echo', '--nodes', '2'], env)).code).toBe(0)
      const fresh = await dtk(['cluster', 'events', '--name', 'echo'], env)
      const types = fresh.stdout.trim().split('\n').map((l) => l.split(/\s+/)[2])
      expect(types.filter((t) => t === 'cluster.up')).toHaveLength(1)
      expect(types).not.toContain('cluster.down')
      expect(types).not.toContain('cluster.leave')
      expect(types.filter((t) => t === 'node.start')).toHaveLength(2)
    })
  })

  it('a state dir path through a file is one line naming the path, without raw errno text', async () => {
    const file = join(stateDir, 'a-file')
    writeFileSync(file, 'x')
    const r = await dtk(['cluster', 'up', '--nodes', '1', '--state-dir', join(file, 'sub')])
    expect(r.code).toBe(1)
    expect(r.stderr.trim()).toBe(`Error: cannot create directory ${join(file, 'sub', 'default')}: a part of the path is a file, not a directory`)
  })

  // A read-only view of the state dir (a read-only bind mount) needs mount privileges: skipped with the reason where they are missing.
  const canMount = (() => {
    const probe = join(stateDir, 'mount-probe')
    mkdirSync(probe, {recursive: true})
    const ok = spawnSync('mount', ['--bind', probe, probe]).status === 0
    if (ok) spawnSync('umount', [probe])
    else console.warn('skipping the read-only state dir test: cannot make a bind mount here')
    return ok
  })()

  it.skipIf(!canMount)('on a read-only state dir, crash, pause and cluster down refuse before acting: the nodes keep running', async () => {
    const rw = join(stateDir, 'rw')
    const ro = join(stateDir, 'ro')
    mkdirSync(rw)
    mkdirSync(ro)
    try {
      expect((await dtk(['cluster', 'up', '--nodes', '2'], {DTK_STATE_DIR: rw})).code).toBe(0)
      const pids = recordedPids(rw)
      expect(pids).toHaveLength(2)
      expect(spawnSync('mount', ['--bind', rw, ro]).status).toBe(0)
      expect(spawnSync('mount', ['-o', 'remount,bind,ro', ro]).status).toBe(0)
      for (const args of [['crash', 'n1'], ['pause', 'n2'], ['cluster', 'down']]) {
        const r = await dtk(args, {DTK_STATE_DIR: ro})
        expect(r.code, args.join(' ')).toBe(1)
        expect(r.stderr.trim()).toBe(`Error: cannot record changes in ${join(ro, 'default')}: the file system is read-only; nothing was done`)
      }
      expect(pids.every(alive)).toBe(true)
      expect((await dtk(['cluster', 'down'], {DTK_STATE_DIR: rw})).code).toBe(0)
    } finally {
      spawnSync('umount', ['-l', ro])
    }
  })
})

describe('oclif conventions', () => {
  it('-h on every command prints its help', async () => {
    for (const args of [['cluster', 'status', '-h'], ['crash', '-h'], ['cluster', 'keys', '-h']]) {
      const r = await dtk(args)
      expect(r.code, args.join(' ')).toBe(0)
      expect(r.stdout).toMatch(/USAGE/)
      expect(r.stdout).toMatch(/EXAMPLES/)
    }
  })

  it('dtk version and dtk --version print the version', async () => {
    const {version} = (await import('../../package.json', {with: {type: 'json'}})).default as {version: string}
    const v = await dtk(['version'])
    expect(v.code).toBe(0)
    expect(v.stdout).toMatch(new RegExp(`^dtk ${version.replaceAll('.', '\\.')} \\(dtk-toolkit\\) node-v20`))
    expect(JSON.parse((await dtk(['version', '--json'])).stdout)).toMatchObject({name: 'dtk-toolkit', version})
    expect((await dtk(['--version'])).stdout).toMatch(new RegExp(`dtk-toolkit/${version.replaceAll('.', '\\.')}`))
  })

  it('a mistyped command suggests the right one, in the form the user types, exit 2', async () => {
    const r = await dtk(['clster', 'status'])
    expect(r.code).toBe(2)
    expect(r.stderr.trim()).toBe("Error: 'dtk clster status' is not a dtk command; did you mean 'dtk cluster status'? (see: dtk --help)")
    const topic = await dtk(['custer'])
    expect(topic.stderr).toMatch(/did you mean 'dtk cluster'\?/)
    expect(r.stderr).not.toMatch(/clster:status/)
  })

  it('a missing argument is named cleanly', async () => {
    const r = await dtk(['crash'])
    expect(r.code).toBe(2)
    expect(r.stderr.trim()).toBe('Error: missing argument NODE (node id) (see: dtk crash --help)')
  })

  it('--timeout 0 is refused', async () => {
    const r = await dtk(['cluster', 'ping', 'n1', 'n2', '--timeout', '0'])
    expect(r.code).toBe(2)
    expect(r.stderr.trim()).toBe('Error: --timeout 0 is too short: it must be at least 1ms')
  })
})
