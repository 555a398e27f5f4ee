import {readdirSync, statSync} from 'node:fs'
import {builtinModules} from 'node:module'
import {dirname, join, relative, resolve} from 'node:path'
import ts from 'typescript'
import {describe, expect, it} from 'vitest'
import {root} from '../helpers/cli.js'

/**
 * The architecture rules of docs/architecture.md, checked on the sources with the TypeScript
 * compiler rather than with regular expressions: every import form (static, `export … from`,
 * `import type`, dynamic `import()` with any quotes, `require`, `import x = require`, type-level
 * `import('…')`) is found, and a dynamic import whose target cannot be read statically is itself
 * a violation.
 *
 * Every folder under src/ that is not listed here as a host or infrastructure is a protocol
 * core, so a new protocol folder is checked from its first file.
 */
const NON_CORE = ['cli', 'cluster', 'errors', 'events', 'kvclient', 'node', 'random', 'security', 'sim', 'storage', 'tour', 'trace', 'transport'] as const

/** Globals a core must not touch: clocks, timers, randomness, the process and the network. */
const FORBIDDEN_GLOBALS = new Set(['process', 'performance', 'setTimeout', 'setInterval', 'setImmediate', 'clearTimeout', 'clearInterval', 'clearImmediate', 'queueMicrotask', 'fetch', 'crypto', 'require', 'Bun', 'Deno'])
const BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]))

interface Import {
  /** The specifier as written, or null when it cannot be read statically. */
  spec: string | null
  line: number
  /** For a relative specifier: the target as a path from the repository root (`src/core/index.ts`). */
  target: string | null
}

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name)
    return statSync(p).isDirectory() ? files(p) : /\.(ts|mts|cts)$/.test(p) && !p.endsWith('.d.ts') ? [p] : []
  })
}

function parse(file: string, text?: string): ts.SourceFile {
  return ts.createSourceFile(file, text ?? ts.sys.readFile(file) ?? '', ts.ScriptTarget.Latest, true, ts.ScriptKind.TS)
}

/** Every import of a source file, whatever its form. */
function importsIn(sf: ts.SourceFile): Import[] {
  const out: Import[] = []
  const add = (node: ts.Node, lit: ts.Node | undefined) => {
    const line = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1
    const spec = lit && (ts.isStringLiteral(lit) || ts.isNoSubstitutionTemplateLiteral(lit)) ? lit.text : null
    const target = spec !== null && spec.startsWith('.') ? relative(root, resolve(dirname(sf.fileName), spec)).replace(/\.js$/, '.ts') : null
    out.push({spec, line, target})
  }
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier) add(node, node.moduleSpecifier)
    else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) add(node, node.moduleReference.expression)
    else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) add(node, node.argument.literal)
    else if (ts.isCallExpression(node)) {
      const callee = node.expression
      if (callee.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(callee) && callee.text === 'require')) add(node, node.arguments[0])
    }
    ts.forEachChild(node, visit)
  }
  visit(sf)
  return out
}

function importsOf(file: string): Import[] {
  return importsIn(parse(file))
}

/** The folder under src/ a repository path belongs to (`src/kv/store.ts` → `kv`), or null. */
function srcFolder(path: string): string | null {
  const m = /^src\/([^/]+)\//.exec(path)
  return m ? m[1]! : null
}

const srcFolders = readdirSync(join(root, 'src')).filter((n) => statSync(join(root, 'src', n)).isDirectory())
const coreFolders = srcFolders.filter((n) => !(NON_CORE as readonly string[]).includes(n))
const isCoreTarget = (t: string) => {
  const f = srcFolder(t)
  return f !== null && (f === 'errors' || coreFolders.includes(f))
}

function violations(folder: string, allowed: (imp: Import) => boolean): string[] {
  return files(join(root, folder)).flatMap((f) =>
    importsOf(f)
      .filter((i) => !allowed(i))
      .map((i) => `${relative(root, f)}:${i.line} -> ${i.spec === null ? '(an import whose target is not a literal)' : (i.target ?? i.spec)}`),
  )
}

/**
 * Uses of clocks, timers, randomness and process globals in `files`, resolved with the type
 * checker: only a name that resolves to the global (lib or @types/node) declaration counts, so a
 * core's own variable called `process` is fine.
 */
function forbiddenUses(fileNames: string[], host?: ts.CompilerHost): string[] {
  const options: ts.CompilerOptions = {target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, types: ['node'], noEmit: true, skipLibCheck: true, strict: true}
  const program = ts.createProgram(fileNames, options, host ?? ts.createCompilerHost(options))
  const checker = program.getTypeChecker()
  const isGlobal = (id: ts.Identifier): boolean => {
    const sym = checker.getSymbolAtLocation(id)
    const decls = sym?.declarations ?? []
    return decls.length > 0 && decls.every((d) => {
      const sf = d.getSourceFile()
      return program.isSourceFileDefaultLibrary(sf) || sf.fileName.includes('/node_modules/')
    })
  }
  const found: string[] = []
  for (const name of fileNames) {
    const sf = program.getSourceFile(name)
    if (!sf) continue
    const at = (n: ts.Node, what: string) => found.push(`${relative(root, sf.fileName)}:${sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1} ${what}`)
    const visit = (node: ts.Node): void => {
      if (ts.isPropertyAccessExpression(node) && ts.isIdentifier(node.expression) && isGlobal(node.expression)) {
        const obj = node.expression.text
        const prop = node.name.text
        if ((obj === 'Math' && prop === 'random') || (obj === 'Date' && prop === 'now')) at(node, `${obj}.${prop}`)
      } else if ((ts.isNewExpression(node) || ts.isCallExpression(node)) && ts.isIdentifier(node.expression) && node.expression.text === 'Date' && (node.arguments?.length ?? 0) === 0 && isGlobal(node.expression)) {
        at(node, ts.isNewExpression(node) ? 'new Date()' : 'Date()')
      } else if (ts.isIdentifier(node) && FORBIDDEN_GLOBALS.has(node.text)) {
        const p = node.parent
        const isName = (ts.isPropertyAccessExpression(p) && p.name === node) || ((ts.isPropertyAssignment(p) || ts.isPropertySignature(p) || ts.isPropertyDeclaration(p) || ts.isMethodDeclaration(p)) && p.name === node)
        if (!isName && isGlobal(node)) at(node, node.text)
      }
      ts.forEachChild(node, visit)
    }
    visit(sf)
  }
  return found
}

describe('the import rules', () => {
  it('sees every import form: quotes of either kind, export-from, import type, dynamic and template-literal imports, require', () => {
    const sf = parse(
      join(root, 'src/x/y.ts'),
      [
        `import {a} from "../core/index.js"`,
        `import type {B} from '../sim/index.js'`,
        `export * from './z.js'`,
        `const m = await import(\`../transport/index.js\`)`,
        `const n = await import('../node/index.js')`,
        `const dyn = await import(\`../\${name}/index.js\`)`,
        `const r = require('node:fs')`,
        `import fs = require('fs')`,
        `type T = import('../cluster/index.js').T`,
      ].join('\n'),
    )
    const got = importsIn(sf).map((i) => i.target ?? i.spec)
    expect(got).toEqual(['src/core/index.ts', 'src/sim/index.ts', 'src/x/z.ts', 'src/transport/index.ts', 'src/node/index.ts', null, 'node:fs', 'fs', 'src/cluster/index.ts'])
    expect(importsOf(join(root, 'src/gossip/swim.ts')).map((i) => i.target)).toContain('src/core/index.ts')
    expect(importsOf(join(root, 'src/node/roles/index.ts')).map((i) => i.target)).toContain('src/node/roles/gossip/index.ts')
  })

  it('treats every folder under src/ that is not a host or infrastructure as a protocol core', () => {
    expect(coreFolders).toEqual(expect.arrayContaining(['core', 'gossip', 'kv']))
    for (const host of ['sim', 'node', 'transport', 'trace', 'random']) expect(coreFolders).not.toContain(host)
  })

  it('src/transport imports nothing else of dtk', () => {
    expect(violations('src/transport', (i) => i.spec !== null && (i.target === null || i.target.startsWith('src/transport/')))).toEqual([])
  })

  it('src/core imports nothing at all: it is the contract', () => {
    expect(violations('src/core', (i) => i.target !== null && i.target.startsWith('src/core/'))).toEqual([])
  })

  it('protocol cores import only src/core, src/errors, other cores and npm packages: no host, no simulator, no transport, no node: module', () => {
    expect(coreFolders.length).toBeGreaterThanOrEqual(3)
    for (const folder of coreFolders) {
      const allowed = (i: Import) => i.spec !== null && (i.target !== null ? isCoreTarget(i.target) : !BUILTINS.has(i.spec))
      expect(violations(`src/${folder}`, allowed), `src/${folder}`).toEqual([])
    }
  })

  it('protocol cores read no clock, set no timer, call no Math.random and touch no process global', () => {
    const coreFiles = coreFolders.flatMap((f) => files(join(root, 'src', f)))
    expect(coreFiles.length).toBeGreaterThan(10)
    expect(forbiddenUses(coreFiles)).toEqual([])
  })

  it('the clock, timer and randomness check finds what it looks for (and not a variable of the same name)', () => {
    const fixture = join(root, 'src/__fixture__/bad.ts')
    const text = [
      `export function f(process: number) { return {process} }`,
      `export const a = Math.random()`,
      `export const b = Date.now()`,
      `export const c = new Date()`,
      `export const d = new Date(0)`,
      `setTimeout(() => {}, 1)`,
      `export const e = performance.now()`,
      `export const g = process.hrtime()`,
      `export const h = {setTimeout: 1}.setTimeout`,
    ].join('\n')
    const options: ts.CompilerOptions = {target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.NodeNext, types: ['node'], noEmit: true}
    const host = ts.createCompilerHost(options)
    const read = host.getSourceFile.bind(host)
    host.getSourceFile = (name, lang, ...rest) => (name === fixture ? ts.createSourceFile(name, text, lang) : read(name, lang, ...rest))
    host.fileExists = ((exists) => (name: string) => name === fixture || exists(name))(host.fileExists.bind(host))
    const found = forbiddenUses([fixture], host).map((s) => s.replace(/^[^ ]+ /, ''))
    expect(found).toEqual(['Math.random', 'Date.now', 'new Date()', 'setTimeout', 'performance', 'process'])
  })

  it('the simulator never imports the transport or the node runtime', () => {
    expect(violations('src/sim', (i) => i.spec !== null && !(i.target !== null && /^src\/(transport|node|cluster)\//.test(i.target)))).toEqual([])
  })

  it('the node runtime and the supervisor take their PRNG from src/random, never from the simulator', () => {
    for (const folder of ['src/node', 'src/cluster', 'src/transport', 'src/storage']) {
      expect(violations(folder, (i) => !(i.target !== null && i.target.startsWith('src/sim/'))), folder).toEqual([])
    }
  })

  it('nothing in src imports commands, and every import in src can be read statically', () => {
    expect(violations('src', (i) => i.spec !== null && !(i.target !== null && i.target.startsWith('commands/')))).toEqual([])
  })
})
