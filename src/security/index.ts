/** Wire security: an AES-GCM keyring that seals and opens packets, with key rotation. */
export {Keyring, parseKey, fingerprint} from './keyring.js'
export {ControlGuard, ControlAuthError, sealControl, isSealedControl, type SealedControl} from './control-auth.js'
