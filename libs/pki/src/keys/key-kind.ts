import type { KeyObject } from 'node:crypto';
import { UnsupportedKeyError } from '../pki.errors';

/** Key algorithms the certificate profile covers. */
export const KeyKind = {
  Rsa: 'rsa',
  Ec: 'ec',
} as const;
export type KeyKind = (typeof KeyKind)[keyof typeof KeyKind];

/** The kind of a public or private key; throws UnsupportedKeyError for anything but RSA and EC. */
export function keyKindOf(key: KeyObject): KeyKind {
  const type = key.asymmetricKeyType;
  if (type === KeyKind.Rsa || type === KeyKind.Ec) {
    return type;
  }
  throw new UnsupportedKeyError(`unsupported key type '${type ?? key.type}': use an RSA or EC key`);
}
