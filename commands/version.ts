import {DtkCommand} from '../src/cli/index.js'

export default class Version extends DtkCommand {
  static override summary = "Print dtk's version, and the Node.js and platform it runs on"
  static override description = 'The same as `dtk --version` (or `-v`); with --json, the parts one by one for bug reports and scripts.'
  static override examples = ['<%= config.bin %> version', '<%= config.bin %> version --json']

  async run(): Promise<{name: string; version: string; node: string; platform: string; arch: string}> {
    await this.parse(Version)
    const v = {name: this.config.name, version: this.config.version, node: process.versions.node, platform: process.platform, arch: process.arch}
    this.out(`${this.config.bin} ${v.version} (${v.name}) node-v${v.node} ${v.platform}-${v.arch}`)
    return v
  }
}
