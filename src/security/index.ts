/** Wire security: an AES-GCM keyring that seals and opens packets, with key rotation. */
export {Keyring, parseKey, fingerprint} from './keyring.js'
