import {describe, expect, it} from 'vitest'
import {fingerprint, Keyring, parseKey} from '../../src/security/index.js'

describe('keyring', () => {
  const k1 = Keyring.generateKey()
  const k2 = Keyring.generateKey()

  it('opens what it sealed, and a packet from another key or a tampered one opens to null', () => {
    const ring = Keyring.fromSecret(k1)
    const sealed = ring.seal(Buffer.from('hello'))
    expect(ring.open(sealed)?.toString()).toBe('hello')
    expect(Keyring.fromSecret(k2).open(sealed)).toBeNull()
    const tampered = Buffer.from(sealed)
    tampered[tampered.length - 20]! ^= 1
    expect(ring.open(tampered)).toBeNull()
    expect(ring.open(Buffer.from('random bytes from a stranger'))).toBeNull()
    expect(ring.open(Buffer.alloc(0))).toBeNull()
  })

  it('never reuses a nonce: sealing the same bytes twice gives different packets that both open', () => {
    const ring = Keyring.fromSecret(k1)
    const packets = Array.from({length: 50}, () => ring.seal(Buffer.from('same')))
    expect(new Set(packets.map((p) => p.toString('hex'))).size).toBe(50)
    // The nonce follows the version byte (12 bytes, as AES-GCM's standard IV).
    expect(new Set(packets.map((p) => p.subarray(1, 13).toString('hex'))).size).toBe(50)
    expect(packets.map((p) => ring.open(p)?.toString())).toEqual(Array(50).fill('same'))
  })

  it('rotates without a flag day: install, use, remove', () => {
    const a = Keyring.fromSecret(k1)
    const b = Keyring.fromSecret(k1)
    b.install(parseKey(k2)) // b knows both, still seals with k1
    expect(a.open(b.seal(Buffer.from('x')))).not.toBeNull()
    b.use(parseKey(k2)) // b now seals with k2: a cannot read it until it installs k2
    expect(a.open(b.seal(Buffer.from('x')))).toBeNull()
    a.install(parseKey(k2))
    expect(a.open(b.seal(Buffer.from('x')))?.toString()).toBe('x')
    expect(b.open(a.seal(Buffer.from('y')))?.toString()).toBe('y') // a still seals with k1, b still opens it
    expect(() => b.remove(parseKey(k2))).toThrow(/primary/)
    b.remove(parseKey(k1))
    expect(b.open(a.seal(Buffer.from('z')))).toBeNull()
    expect(b.list()).toEqual([{fingerprint: fingerprint(parseKey(k2)), primary: true}])
  })

  it('takes base64 keys of 16, 24 or 32 bytes as they are and stretches anything else', () => {
    for (const n of [16, 24, 32]) {
      const raw = Buffer.alloc(n, n)
      expect(parseKey(raw.toString('base64')).equals(raw), `${n} bytes`).toBe(true)
    }
    // 20 bytes of base64 is not an AES key: stretched like a passphrase.
    expect(parseKey(Buffer.alloc(20, 1).toString('base64'))).toHaveLength(32)
    const stretched = parseKey('correct horse battery staple')
    expect(stretched).toHaveLength(32)
    // The same passphrase is the same key on every node, another one is not.
    expect(parseKey(' correct horse battery staple ').equals(stretched)).toBe(true)
    expect(parseKey('correct horse battery stapler').equals(stretched)).toBe(false)
    expect(Keyring.fromSecret('correct horse battery staple').open(Keyring.fromSecret('correct horse battery staple').seal(Buffer.from('hi')))?.toString()).toBe('hi')
    expect(() => parseKey('  ')).toThrow(/empty secret/)
  })
})
