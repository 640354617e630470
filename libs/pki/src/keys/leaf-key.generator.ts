import { generateKeyPair, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { spkiOf } from './public-key.codec';

const generateKeyPairAsync = promisify(generateKeyPair);

/** Key types the control plane makes for dataplanes that send no CSR. */
export const LeafKeyType = {
  Rsa2048: 'rsa-2048',
  EcP256: 'ec-p256',
} as const;
export type LeafKeyType = (typeof LeafKeyType)[keyof typeof LeafKeyType];

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
export async function generateLeafKey(kind: LeafKeyType): Promise<LeafKey> {
  const { privateKey, publicKey } =
    kind === LeafKeyType.Rsa2048
      ? await generateKeyPairAsync('rsa', { modulusLength: 2048 })
      : await generateKeyPairAsync('ec', { namedCurve: 'P-256' });
  const privateKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  spkiOf(publicKey); // encoded now, while a key costs ~100 ms anyway, not on the signing path
  return { privateKey, publicKey, privateKeyPem };
}
