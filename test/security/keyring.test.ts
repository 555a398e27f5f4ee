import {describe, expect, it} from 'vitest'
import {Keyring, parseKey} from '../../src/security/index.js'

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
    expect(b.list()).toHaveLength(1)
  })

  it('takes base64 keys of 16, 24 or 32 bytes and stretches anything else', () => {
    expect(parseKey(Buffer.alloc(16, 1).toString('base64'))).toHaveLength(16)
    expect(parseKey('correct horse battery staple')).toHaveLength(32)
    expect(() => parseKey('  ')).toThrow()
  })
})
