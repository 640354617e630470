import forge from 'node-forge';

/**
 * Reads DER by offsets over the original bytes. Signatures are checked over the exact bytes that were
 * signed, so the signed part is sliced out rather than decoded and re-encoded.
 */
export interface DerElement {
  readonly tag: number;
  /** Offset of the tag byte. */
  readonly start: number;
  /** Offset of the first content byte. */
  readonly contentStart: number;
  /** Offset just past the element. */
  readonly end: number;
}

/** The DER input is truncated or not DER (indefinite or oversized length). */
export class DerFormatError extends Error {}

/** The element starting at `offset`. */
export function readDer(buf: Buffer, offset = 0): DerElement {
  if (offset + 2 > buf.length) {
    throw new DerFormatError('truncated DER element');
  }
  const tag = buf[offset];
  if ((tag & 0x1f) === 0x1f) {
    throw new DerFormatError('multi-byte DER tags are not used in certificates');
  }
  let length = buf[offset + 1];
  let contentStart = offset + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 4) {
      throw new DerFormatError('indefinite or oversized DER length');
    }
    length = 0;
    for (let i = 0; i < count; i++) {
      length = length * 256 + buf[contentStart + i];
    }
    contentStart += count;
  }
  const end = contentStart + length;
  if (end > buf.length) {
    throw new DerFormatError('truncated DER element');
  }
  return { tag, start: offset, contentStart, end };
}

/** The children of a constructed element, in order. */
export function derChildren(buf: Buffer, parent: DerElement): DerElement[] {
  const children: DerElement[] = [];
  for (let offset = parent.contentStart; offset < parent.end; ) {
    const child = readDer(buf, offset);
    children.push(child);
    offset = child.end;
  }
  return children;
}

/** The whole encoding of an element (tag and length included). */
export function derBytes(buf: Buffer, el: DerElement): Buffer {
  return buf.subarray(el.start, el.end);
}

/** The contents of an element (without tag and length). */
export function derContents(buf: Buffer, el: DerElement): Buffer {
  return buf.subarray(el.contentStart, el.end);
}

/** Dotted text of an OBJECT IDENTIFIER element. */
export function derOidText(buf: Buffer, el: DerElement): string {
  return forge.asn1.derToOid(derContents(buf, el).toString('binary'));
}
