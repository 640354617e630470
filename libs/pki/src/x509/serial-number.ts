import { randomFillSync } from 'node:crypto';

const SERIAL_BYTES = 16;
const POOL_SERIALS = 256;
let pool = Buffer.alloc(0);
let poolOffset = 0;

/**
 * A random 128-bit serial number as big-endian magnitude bytes. Drawn from a pool refilled 256 serials at
 * a time: one call into the CSPRNG per 256 certificates instead of one per certificate.
 */
export function randomSerial(): Buffer {
  if (poolOffset + SERIAL_BYTES > pool.length) {
    pool = randomFillSync(Buffer.alloc(SERIAL_BYTES * POOL_SERIALS));
    poolOffset = 0;
  }
  const serial = Buffer.from(pool.subarray(poolOffset, poolOffset + SERIAL_BYTES));
  poolOffset += SERIAL_BYTES;
  if (serial.every((b) => b === 0)) {
    serial[SERIAL_BYTES - 1] = 1; // RFC 5280 4.1.2.2: positive; 2^-128, but cheap to rule out
  }
  return serial;
}

/** A serial as X509Certificate.serialNumber prints it: upper-case hex, no leading zero bytes. */
export function serialHex(serial: Buffer): string {
  let start = 0;
  while (start < serial.length - 1 && serial[start] === 0) {
    start++;
  }
  return serial.subarray(start).toString('hex').toUpperCase();
}
