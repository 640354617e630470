import { JwtMalformedError } from './jwt.errors';

const BASE64URL = /^[A-Za-z0-9_-]*$/;
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Unpadded base64url (RFC 7515 §2) of bytes or of a string's UTF-8. */
export function encodeBase64Url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

/**
 * Strict base64url decoding. Node's decoder skips characters outside the alphabet and ignores stray
 * bits, so two different texts could decode to the same bytes; a signed segment must have exactly one
 * spelling, hence the alphabet check and the round trip.
 */
export function decodeBase64Url(text: string, part: string): Buffer {
  if (!BASE64URL.test(text) || text.length % 4 === 1) {
    throw new JwtMalformedError(`the ${part} is not unpadded base64url`);
  }
  const bytes = Buffer.from(text, 'base64url');
  if (bytes.toString('base64url') !== text) {
    throw new JwtMalformedError(`the ${part} is not canonical base64url`);
  }
  return bytes;
}

/** A segment that must hold a JSON object in UTF-8 (the header, the claims). */
export function decodeJsonSegment(text: string, part: string): Record<string, unknown> {
  const bytes = decodeBase64Url(text, part);
  let value: unknown;
  try {
    value = JSON.parse(strictUtf8.decode(bytes));
  } catch {
    throw new JwtMalformedError(`the ${part} is not UTF-8 JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new JwtMalformedError(`the ${part} is not a JSON object`);
  }
  return value as Record<string, unknown>;
}
