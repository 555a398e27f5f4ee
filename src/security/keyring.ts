import {createCipheriv, createDecipheriv, createHash, createHmac, randomBytes} from 'node:crypto'
import {UsageError} from '../errors/index.js'

/**
 * Authenticated encryption for bytes on the wire, with a keyring as memberlist has: the primary
 * key seals, every installed key opens, so a cluster rotates keys without a flag day (install the
 * new key everywhere, make it primary everywhere, then remove the old one).
 *
 * Sealed format: `0x01 | nonce (12) | ciphertext | tag (16)` with AES-256-GCM (or AES-128/192 for
 * shorter keys). A packet that fails to open is not an error to raise: it is a stranger's, a
 * tampered or an old-key packet, and the caller drops and counts it.
 */
const VERSION = 1
const NONCE = 12
const TAG = 16

export function parseKey(text: string): Buffer {
  const t = text.trim()
  if (t === '') throw new UsageError('an empty secret is not a key')
  if (/^[A-Za-z0-9+/]+={0,2}$/.test(t)) {
    const raw = Buffer.from(t, 'base64')
    if (raw.length === 16 || raw.length === 24 || raw.length === 32) return raw
  }
  // A passphrase: stretch it to a 256-bit key. Fine for a demo cluster; use `dtk keygen` for real keys.
  return createHash('sha256').update(`dtk-keyring:${t}`).digest()
}

function algorithm(key: Buffer): 'aes-128-gcm' | 'aes-192-gcm' | 'aes-256-gcm' {
  return key.length === 16 ? 'aes-128-gcm' : key.length === 24 ? 'aes-192-gcm' : 'aes-256-gcm'
}

export function fingerprint(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 12)
}

export class Keyring {
  private keys: Buffer[]

  constructor(keys: Buffer[]) {
    if (keys.length === 0) throw new UsageError('a keyring needs at least one key')
    this.keys = [...keys]
  }

  /** `DTK_SECRET=primary,older,…` — comma-separated keys, the first one primary. */
  static fromSecret(secret: string): Keyring {
    return new Keyring(secret.split(',').map(parseKey))
  }

  static generateKey(): string {
    return randomBytes(32).toString('base64')
  }

  get primary(): Buffer {
    return this.keys[0]!
  }

  list(): Array<{fingerprint: string; primary: boolean}> {
    return this.keys.map((k, i) => ({fingerprint: fingerprint(k), primary: i === 0}))
  }

  install(key: Buffer): void {
    if (!this.keys.some((k) => k.equals(key))) this.keys.push(key)
  }

  use(key: Buffer): void {
    this.install(key)
    this.keys = [key, ...this.keys.filter((k) => !k.equals(key))]
  }

  /** Removing a key that is not installed is an error, not a silent no-op: it usually means a typo. */
  remove(key: Buffer): void {
    if (this.primary.equals(key)) throw new UsageError('cannot remove the primary key; make another key primary first')
    if (!this.keys.some((k) => k.equals(key))) throw new UsageError(`key ${fingerprint(key)} is not installed (installed: ${this.keys.map(fingerprint).join(', ')})`)
    this.keys = this.keys.filter((k) => !k.equals(key))
  }

  /**
   * The same ring with every key replaced by HMAC-SHA256(key, label), in the same order: one secret
   * serves several purposes (gossip, control requests) without a packet sealed for one ever opening
   * as the other.
   */
  derive(label: string): Keyring {
    return new Keyring(this.keys.map((k) => createHmac('sha256', k).update(`dtk-keyring:${label}`).digest()))
  }

  seal(plain: Buffer): Buffer {
    const nonce = randomBytes(NONCE)
    const cipher = createCipheriv(algorithm(this.primary), this.primary, nonce)
    const body = Buffer.concat([cipher.update(plain), cipher.final()])
    return Buffer.concat([Buffer.from([VERSION]), nonce, body, cipher.getAuthTag()])
  }

  /** The plaintext, or null when no installed key authenticates the packet. */
  open(sealed: Buffer): Buffer | null {
    if (sealed.length < 1 + NONCE + TAG || sealed[0] !== VERSION) return null
    const nonce = sealed.subarray(1, 1 + NONCE)
    const body = sealed.subarray(1 + NONCE, sealed.length - TAG)
    const tag = sealed.subarray(sealed.length - TAG)
    for (const key of this.keys) {
      try {
        const d = createDecipheriv(algorithm(key), key, nonce)
        d.setAuthTag(tag)
        return Buffer.concat([d.update(body), d.final()])
      } catch {
        // not this key
      }
    }
    return null
  }
}
