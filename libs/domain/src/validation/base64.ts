/**
 * Standard or URL-safe base64, padded or not, as protobuf JSON accepts for `bytes` fields. A length
 * of 1 modulo 4 cannot come from any byte string.
 */
const BASE64_PATTERN = /^(?:[A-Za-z0-9+/]*|[A-Za-z0-9\-_]*)={0,2}$/;

export function isBase64(text: string): boolean {
  if (!BASE64_PATTERN.test(text)) {
    return false;
  }
  const unpadded = text.replace(/=+$/, '');
  if (unpadded.length % 4 === 1) {
    return false;
  }
  return text.length === unpadded.length || text.length % 4 === 0;
}
