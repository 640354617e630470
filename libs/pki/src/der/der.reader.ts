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

/**
 * Dotted text of an OBJECT IDENTIFIER element (X.690 8.19), read from the bytes in place: this runs for
 * every extension of every certificate checked and for every CSR. Throws DerFormatError on an empty or
 * truncated identifier, or one too large for exact arithmetic.
 */
export function derOidText(buf: Buffer, el: DerElement): string {
  if (el.end <= el.contentStart) throw new DerFormatError('empty OBJECT IDENTIFIER');
  let text = '';
  let value = 0;
  let first = true;
  for (let i = el.contentStart; i < el.end; i++) {
    const byte = buf[i];
    value = value * 128 + (byte & 0x7f);
    if (value > Number.MAX_SAFE_INTEGER / 128) throw new DerFormatError('OBJECT IDENTIFIER arc too large');
    if (byte & 0x80) continue;
    if (first) {
      // The first subidentifier packs two arcs: 40 * X + Y, X in 0..2 (Y unbounded when X is 2).
      const top = value < 80 ? Math.floor(value / 40) : 2;
      text = `${top}.${value - 40 * top}`;
      first = false;
    } else {
      text += `.${value}`;
    }
    value = 0;
  }
  if (buf[el.end - 1] & 0x80) throw new DerFormatError('truncated OBJECT IDENTIFIER');
  return text;
}
