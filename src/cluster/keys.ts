import {UsageError} from '../errors/index.js'
import {fingerprint, parseKey} from '../security/index.js'
import {dirOf, record, type ClusterRef} from './context.js'
import {requireRole, roleCallAll} from './roles.js'
import {assertWritable, loadSecret, requireState, saveSecret} from './state.js'

/**
 * Key rotation across a running gossip cluster, with the cluster's recorded keyring
 * (`<state-dir>/<name>/secret`) following every step: a node restarted or joined afterwards is
 * started with the keyring the others have now, not the one the cluster was created with.
 */
export type KeyAction = 'list' | 'install' | 'use' | 'remove'

export interface KeyInfo {
  fingerprint: string
  primary: boolean
}

export interface KeysResult {
  nodes: Array<{node: string; keys: KeyInfo[]}>
  /** Nodes not running or not answering: they get the recorded keyring when (re)started. */
  missing: string[]
  refused: Array<{node: string; reason: string}>
  /** The cluster's recorded keyring after the action, primary first. */
  recorded: KeyInfo[]
}

function describe(texts: string[]): KeyInfo[] {
  return texts.map((t, i) => ({fingerprint: fingerprint(parseKey(t)), primary: i === 0}))
}

/** The recorded key `arg` names: the key itself, or its fingerprint as `keys list` shows it (`*` and all). */
function findRecorded(texts: string[], arg: string): number {
  const fp = arg.trim().replace(/^\*/, '').toLowerCase()
  const byFingerprint = /^[0-9a-f]{12}$/.test(fp) ? texts.findIndex((t) => fingerprint(parseKey(t)) === fp) : -1
  if (byFingerprint >= 0) return byFingerprint
  const key = parseKey(arg)
  return texts.findIndex((t) => parseKey(t).equals(key))
}

export async function keys(ref: ClusterRef, action: KeyAction, arg?: string): Promise<KeysResult> {
  const dir = dirOf(ref)
  requireState(dir, ref.name)
  requireRole(ref, 'gossip', `cluster keys ${action}`)
  if (action !== 'list') assertWritable(dir)
  const secret = loadSecret(dir)
  if (!secret) throw new UsageError(`cluster '${ref.name}' was started without a key, so it has no keyring (start it with --secret "$(dtk cluster keys generate)")`)
  let texts = secret.split(',').map((t) => t.trim()).filter(Boolean)
  let keyText: string | undefined
  if (action !== 'list') {
    if (!arg) throw new UsageError(`keys ${action} needs a key${action === 'remove' ? ' or its fingerprint (see: dtk cluster keys list)' : ''}`)
    if (action === 'remove') {
      const i = findRecorded(texts, arg)
      const names = describe(texts).map((k) => (k.primary ? `*${k.fingerprint}` : k.fingerprint)).join(' ')
      if (i < 0) throw new UsageError(`'${arg}' is neither a key nor a fingerprint in the keyring of cluster '${ref.name}' (${names})`)
      if (i === 0) throw new UsageError(`cannot remove the primary key ${names.split(' ')[0]}; make another key primary first (dtk cluster keys use KEY)`)
      keyText = texts[i]!
      texts = texts.filter((_, j) => j !== i)
    } else {
      parseKey(arg) // a bad key is a usage error before any node is asked
      keyText = arg
      const key = parseKey(arg)
      const rest = texts.filter((t) => !parseKey(t).equals(key))
      texts = action === 'use' ? [arg, ...rest] : rest.length < texts.length ? texts : [...texts, arg]
    }
  }
  const res = await roleCallAll<{keys: KeyInfo[]}>(ref, {op: 'keys', action, key: keyText})
  if (action !== 'list' && res.answers.length > 0) {
    saveSecret(dir, texts.join(','))
    record(dir, 'cluster.keys', {action, fingerprint: fingerprint(parseKey(keyText!)), applied: res.answers.map((a) => a.node), missing: res.missing})
  }
  const current = loadSecret(dir)!.split(',').filter(Boolean)
  return {nodes: res.answers.map((a) => ({node: a.node, keys: a.answer.keys})), missing: res.missing, refused: res.refused, recorded: describe(current)}
}
