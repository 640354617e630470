import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { derChildren, derContents, derOidText, readDer } from '../der/der.reader';
import { Oid } from '../x509/oids';

/**
 * Public keys in and out of SubjectPublicKeyInfo DER, without OpenSSL 3.0's generic encoder/decoder on the
 * hot path: each `export({ type: 'spki' })` or DER `createPublicKey` costs 100-200 µs there (more than an
 * ECDSA signature), while a JWK import is ~8 µs for RSA and ~65 µs for EC (the point check).
 */

/** The SPKI a key was imported from or exported to, so a key is never encoded twice. */
const spkiByKey = new WeakMap<KeyObject, Buffer>();

const JWK_CURVES: Readonly<Record<string, { crv: string; size: number }>> = {
  '1.2.840.10045.3.1.7': { crv: 'P-256', size: 32 },
  '1.3.132.0.34': { crv: 'P-384', size: 48 },
  '1.3.132.0.35': { crv: 'P-521', size: 66 },
};

/** A public KeyObject from SPKI DER; throws as createPublicKey does when the DER is not a key. */
export function importSpki(spkiDer: Buffer): KeyObject {
  const jwk = jwkOf(spkiDer);
  const key = jwk
    ? createPublicKey({ key: jwk, format: 'jwk' })
    : createPublicKey({ key: spkiDer, format: 'der', type: 'spki' });
  spkiByKey.set(key, spkiDer);
  return key;
}

/** The SPKI DER of a public key (encoded once per key object, then remembered). */
export function spkiOf(publicKey: KeyObject): Buffer {
  let spki = spkiByKey.get(publicKey);
  if (spki === undefined) {
    spki = publicKey.export({ type: 'spki', format: 'der' });
    spkiByKey.set(publicKey, spki);
  }
  return spki;
}

/** The JWK of an RSA or named-curve EC SPKI with an uncompressed point; undefined for anything else. */
function jwkOf(spkiDer: Buffer): JsonWebKey | undefined {
  try {
    const [algorithm, bits] = derChildren(spkiDer, readDer(spkiDer));
    const [oid, params] = derChildren(spkiDer, algorithm);
    const keyBytes = derContents(spkiDer, bits).subarray(1);
    const type = derOidText(spkiDer, oid);
    if (type === Oid.rsaEncryption) {
      const [n, e] = derChildren(keyBytes, readDer(keyBytes));
      return { kty: 'RSA', n: unsigned(derContents(keyBytes, n)), e: unsigned(derContents(keyBytes, e)) };
    }
    const curve = type === Oid.ecPublicKey && params ? JWK_CURVES[derOidText(spkiDer, params)] : undefined;
    if (curve && keyBytes[0] === 0x04 && keyBytes.length === 1 + 2 * curve.size) {
      const x = keyBytes.subarray(1, 1 + curve.size).toString('base64url');
      return { kty: 'EC', crv: curve.crv, x, y: keyBytes.subarray(1 + curve.size).toString('base64url') };
    }
  } catch {
    // not a shape this fast path knows: the generic decoder decides
  }
  return undefined;
}

function unsigned(integer: Buffer): string {
  return (integer[0] === 0 ? integer.subarray(1) : integer).toString('base64url');
}
