/**
 * A minimal DER encoder over Buffers. Certificates are issued on a hot path: encoding a TBSCertificate
 * by concatenating a few prepared Buffers costs microseconds, where building a forge ASN.1 tree and
 * serialising it through binary strings costs about as much as an ECDSA signature.
 */

/** Universal tags used by the certificate profile. */
export const DerTag = {
  Boolean: 0x01,
  Integer: 0x02,
  BitString: 0x03,
  OctetString: 0x04,
  Null: 0x05,
  Oid: 0x06,
  Utf8String: 0x0c,
  Ia5String: 0x16,
  UtcTime: 0x17,
  GeneralizedTime: 0x18,
  Sequence: 0x30,
  Set: 0x31,
} as const;

const ZERO_BYTE = Buffer.from([0]);

function lengthSize(n: number): number {
  return n < 0x80 ? 1 : n < 0x100 ? 2 : n < 0x10000 ? 3 : 4;
}

/** One element: tag, length, then the contents (already encoded children for constructed types). */
export function derTlv(tag: number, ...contents: Buffer[]): Buffer {
  let length = 0;
  for (const part of contents) {
    length += part.length;
  }
  const size = lengthSize(length);
  // One allocation per element (from Node's pool): this runs a few dozen times per certificate.
  const out = Buffer.allocUnsafe(1 + size + length);
  out[0] = tag;
  if (size === 1) {
    out[1] = length;
  } else {
    out[1] = 0x80 | (size - 1);
    out.writeUIntBE(length, 2, size - 1);
  }
  let offset = 1 + size;
  for (const part of contents) {
    part.copy(out, offset);
    offset += part.length;
  }
  return out;
}

export function derSequence(...children: Buffer[]): Buffer {
  return derTlv(DerTag.Sequence, ...children);
}

/** `[n] EXPLICIT`: a constructed context-specific wrapper. */
export function derExplicit(n: number, ...children: Buffer[]): Buffer {
  return derTlv(0xa0 | n, ...children);
}

/** `[n] IMPLICIT` of a primitive type: context-specific tag over the raw contents. */
export function derImplicitPrimitive(n: number, contents: Buffer): Buffer {
  return derTlv(0x80 | n, contents);
}

/** A non-negative INTEGER from big-endian magnitude bytes, minimally encoded. */
export function derUnsignedInteger(magnitude: Buffer): Buffer {
  let start = 0;
  while (start < magnitude.length - 1 && magnitude[start] === 0) {
    start++;
  }
  const trimmed = magnitude.subarray(start);
  const needsPad = (trimmed[0] & 0x80) !== 0;
  return needsPad ? derTlv(DerTag.Integer, ZERO_BYTE, trimmed) : derTlv(DerTag.Integer, trimmed);
}

export function derSmallInteger(value: number): Buffer {
  return derUnsignedInteger(Buffer.from([value]));
}

/** An OBJECT IDENTIFIER from dotted text; callers encode their OIDs once, not per certificate. */
export function derOid(dotted: string): Buffer {
  const arcs = dotted.split('.').map((arc) => {
    if (!/^(0|[1-9][0-9]*)$/.test(arc)) throw new RangeError(`not an OBJECT IDENTIFIER: ${dotted}`);
    return Number(arc);
  });
  if (
    arcs.length < 2 ||
    arcs[0] > 2 ||
    (arcs[0] < 2 && arcs[1] >= 40) ||
    arcs.some((a) => !Number.isSafeInteger(a))
  )
    throw new RangeError(`not an OBJECT IDENTIFIER: ${dotted}`);
  const bytes: number[] = [];
  for (const value of [arcs[0] * 40 + arcs[1], ...arcs.slice(2)]) {
    // Base 128, most significant group first, every byte but the last with its high bit set.
    const groups = [value % 128];
    for (let rest = Math.floor(value / 128); rest > 0; rest = Math.floor(rest / 128)) {
      groups.unshift(rest % 128 | 0x80);
    }
    bytes.push(...groups);
  }
  return derTlv(DerTag.Oid, Buffer.from(bytes));
}

export function derOctetString(contents: Buffer): Buffer {
  return derTlv(DerTag.OctetString, contents);
}

/** A BIT STRING of whole bytes (no unused bits), as signatures and key bits are. */
export function derBitString(bytes: Buffer): Buffer {
  return derTlv(DerTag.BitString, ZERO_BYTE, bytes);
}

export function derBoolean(value: boolean): Buffer {
  return derTlv(DerTag.Boolean, Buffer.from([value ? 0xff : 0x00]));
}

export const DER_NULL = Buffer.from([DerTag.Null, 0x00]);

export function derUtf8String(text: string): Buffer {
  return derTlv(DerTag.Utf8String, Buffer.from(text, 'utf8'));
}

/**
 * A certificate validity time: UTCTime through 2049, GeneralizedTime from 2050 (RFC 5280 4.1.2.5),
 * at second precision.
 */
export function derTime(date: Date): Buffer {
  const iso = date.toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
  const digits =
    iso.slice(0, 4) +
    iso.slice(5, 7) +
    iso.slice(8, 10) +
    iso.slice(11, 13) +
    iso.slice(14, 16) +
    iso.slice(17, 19);
  const year = date.getUTCFullYear();
  if (year >= 1950 && year < 2050) {
    return derTlv(DerTag.UtcTime, Buffer.from(`${digits.slice(2)}Z`, 'ascii'));
  }
  return derTlv(DerTag.GeneralizedTime, Buffer.from(`${digits}Z`, 'ascii'));
}
