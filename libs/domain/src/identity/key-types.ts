/**
 * The kinds of key a dataplane identity may have: ECDSA P-256 (the default, what a sidecar makes for its
 * CSR) and RSA-2048 (where an application needs it, and what the control plane makes for a dataplane
 * that sends no CSR). The one list: the wire schema, the sidecar's options and the key generator use it.
 */
export const KEY_TYPES = ['ec-p256', 'rsa-2048'] as const;
export type KeyType = (typeof KEY_TYPES)[number];
export const KeyType = { EcP256: 'ec-p256', Rsa2048: 'rsa-2048' } as const satisfies Record<string, KeyType>;
