import {
  generateKeyPair,
  generateKeyPairSync,
  type KeyPairKeyObjectResult,
  type KeyObject,
} from 'node:crypto';
import { promisify } from 'node:util';
import { KeyType } from '@meshtls/domain';
import { spkiOf } from './public-key.codec';

const generateKeyPairAsync = promisify(generateKeyPair);

export interface LeafKey {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** PKCS#8 PEM, handed to the dataplane with its certificate. */
  readonly privateKeyPem: string;
}

/**
 * A key made by the control plane (Kuma's way, for dataplanes that send no CSR). Generated off the event
 * loop: an RSA-2048 key takes ~100 ms of CPU, which is why CSRs are the default.
 */
export async function generateLeafKey(kind: KeyType): Promise<LeafKey> {
  const { privateKey, publicKey } =
    kind === KeyType.Rsa2048
      ? await generateKeyPairAsync('rsa', { modulusLength: 2048 })
      : await generateKeyPairAsync('ec', { namedCurve: 'P-256' });
  const privateKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  spkiOf(publicKey); // encoded now, while a key costs ~100 ms anyway, not on the signing path
  return { privateKey, publicKey, privateKeyPem };
}

/** A key pair of `kind`, made at once (a sidecar making the key of its CSR). */
export function generateKeyPairOf(kind: KeyType): KeyPairKeyObjectResult {
  return kind === KeyType.Rsa2048
    ? generateKeyPairSync('rsa', { modulusLength: 2048 })
    : generateKeyPairSync('ec', { namedCurve: 'P-256' });
}
