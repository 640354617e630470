import { X509Certificate, randomUUID, type KeyObject } from 'node:crypto';
import type { KeyType } from '@meshtls/domain';
import { createCsr, generateKeyPairOf } from '@meshtls/pki';

/**
 * The keys a dataplane agent made for its CSRs, by request id, until their certificate arrives; the newest
 * few only. Private keys are made here and never sent.
 */
export class PendingKeys {
  private readonly keys = new Map<string, PendingKey>();

  constructor(private readonly keyType: KeyType) {}

  has(requestId: string): boolean {
    return this.keys.has(requestId);
  }

  clear(): void {
    this.keys.clear();
  }

  /** A fresh key and its CSR, remembered under `requestId` (the newest few only) until its certificate comes. */
  newKey(requestId: string = randomUUID()): { requestId: string; csrPem: string } {
    const pair = generateKeyPairOf(this.keyType);
    const spki = pair.publicKey.export({ type: 'spki', format: 'der' });
    this.keys.set(requestId, { requestId, key: pair.privateKey, spki });
    for (const id of this.keys.keys()) {
      if (this.keys.size <= MAX_PENDING_KEYS) break;
      this.keys.delete(id);
    }
    return { requestId, csrPem: createCsr({ privateKey: pair.privateKey, publicKey: pair.publicKey }) };
  }

  /**
   * The private key of a certificate: a pending key made here whose public key the certificate holds,
   * looked up by the request it answers (`requestId`) first. A certificate for any other key has none.
   */
  keyFor(certPem: string, requestId: string | undefined): string | undefined {
    let spki: Buffer;
    try {
      spki = new X509Certificate(certPem).publicKey.export({ type: 'spki', format: 'der' });
    } catch {
      return undefined;
    }
    const named = requestId === undefined ? undefined : this.keys.get(requestId);
    const pending = named?.spki.equals(spki)
      ? named
      : [...this.keys.values()].find((k) => k.spki.equals(spki));
    if (!pending) return undefined;
    this.keys.delete(pending.requestId);
    return pending.key.export({ type: 'pkcs8', format: 'pem' }).toString();
  }
}

interface PendingKey {
  readonly requestId: string;
  readonly key: KeyObject;
  readonly spki: Buffer;
}

/** Keys whose certificate may still come: a few requests in flight at most. */
const MAX_PENDING_KEYS = 8;
