import {spawnSync} from 'node:child_process'
import {copyFileSync, existsSync, readFileSync, symlinkSync} from 'node:fs'
import {delimiter, join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {root as repoRoot, tempDir} from '../helpers/cli.js'

/**
 * Issue 17: "A clean install and build print no warnings a user would wonder about (today: an
 * oclif update notice on every build …)". The build's last step writes the oclif manifest; run
 * that step exactly as package.json's `build` script spells it, in a scratch copy of the project
 * (its package.json, and links to the built dist/ and node_modules/, so the repository's own
 * manifest is not rewritten under other tests), and check that it prints one line and no notice.
 */
describe('a clean build prints no warnings', () => {
  it("the build's manifest step prints only where it wrote the manifest: no oclif update notice", {timeout: 120_000}, () => {
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {scripts: Record<string, string>}
    const steps = pkg.scripts.build!.split('&&').map((s) => s.trim())
    expect(steps).toHaveLength(3)
    const manifest = steps.at(-1)!
    expect(manifest).toMatch(/oclif manifest$/)
    expect(existsSync(join(repoRoot, 'dist', 'commands')), 'run npm run build first').toBe(true)
    const dir = tempDir('build-quiet')
    copyFileSync(join(repoRoot, 'package.json'), join(dir, 'package.json'))
    symlinkSync(join(repoRoot, 'dist'), join(dir, 'dist'))
    symlinkSync(join(repoRoot, 'node_modules'), join(dir, 'node_modules'))
    const r = spawnSync('sh', ['-c', manifest], {
      cwd: dir,
      encoding: 'utf8',
      env: {...process.env, PATH: join(repoRoot, 'node_modules', '.bin') + delimiter + process.env.PATH},
    })
    expect(r.status, r.stderr).toBe(0)
    expect(r.stdout + r.stderr).toBe(`wrote manifest to ${join(dir, 'oclif.manifest.json')}\n`)
  })
})
