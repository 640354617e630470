/**
 * PERMISSIVE inbound: the first bytes of a connection decide how it is served. A TLS ClientHello that
 * offers the mesh ALPN is mesh mTLS (terminated here, permissions apply); any other TLS is the
 * application's own and is passed through untouched; anything else is plaintext, passed through.
 */
export const MESH_ALPN = 'mesh-mtls';

export type FirstBytesVerdict = 'mesh-tls' | 'other-tls' | 'plaintext' | 'need-more';

const HANDSHAKE = 0x16;
const CLIENT_HELLO = 0x01;
const ALPN_EXTENSION = 0x0010;
/** A TLS record holds at most 2^14 bytes of plaintext; a ClientHello beyond it is not ours to parse. */
const MAX_RECORD = 5 + 16_384;

/**
 * Classifies what has arrived so far; `need-more` until the first TLS record is complete (callers bound
 * the wait). Only the first record is read: a ClientHello split over records is treated as other TLS.
 */
export function classifyFirstBytes(data: Buffer, meshAlpn: string = MESH_ALPN): FirstBytesVerdict {
  if (data.length === 0) return 'need-more';
  if (data[0] !== HANDSHAKE) return 'plaintext';
  if (data.length >= 2 && data[1] !== 0x03) return 'plaintext'; // not an SSL3/TLS record version
  if (data.length < 5) return 'need-more';
  const recordLength = data.readUInt16BE(3);
  if (5 + recordLength > MAX_RECORD) return 'other-tls';
  if (data.length < 5 + recordLength) return 'need-more';
  const alpn = offeredAlpn(data.subarray(5, 5 + recordLength));
  return alpn?.includes(meshAlpn) ? 'mesh-tls' : 'other-tls';
}

/** The ALPN protocols a ClientHello offers, or undefined when it offers none (or does not parse). */
export function offeredAlpn(handshake: Buffer): string[] | undefined {
  const reader = new Reader(handshake);
  try {
    if (reader.u8() !== CLIENT_HELLO) return undefined;
    const body = reader.sub(reader.u24());
    body.skip(2 + 32); // client_version, random
    body.skip(body.u8()); // session_id
    body.skip(body.u16()); // cipher_suites
    body.skip(body.u8()); // compression_methods
    if (body.remaining === 0) return undefined; // no extensions
    const extensions = body.sub(body.u16());
    while (extensions.remaining > 0) {
      const type = extensions.u16();
      const ext = extensions.sub(extensions.u16());
      if (type !== ALPN_EXTENSION) continue;
      const list = ext.sub(ext.u16());
      const names: string[] = [];
      while (list.remaining > 0) names.push(list.bytes(list.u8()).toString('latin1'));
      return names;
    }
    return undefined;
  } catch {
    return undefined;
  }
}

class Reader {
  private offset = 0;
  constructor(private readonly buffer: Buffer) {}

  get remaining(): number {
    return this.buffer.length - this.offset;
  }

  u8(): number {
    return this.bytes(1)[0]!;
  }

  u16(): number {
    return this.bytes(2).readUInt16BE(0);
  }

  u24(): number {
    return this.bytes(3).readUIntBE(0, 3);
  }

  skip(n: number): void {
    this.bytes(n);
  }

  bytes(n: number): Buffer {
    if (n > this.remaining) throw new RangeError('truncated');
    const out = this.buffer.subarray(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }

  sub(n: number): Reader {
    return new Reader(this.bytes(n));
  }
}
