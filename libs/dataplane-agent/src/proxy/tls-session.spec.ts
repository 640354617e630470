import { withoutPeerCertificate } from './tls-session';

describe('withoutPeerCertificate', () => {
  // An SSL_SESSION's first fields, then `[3]` (the peer certificate), then `[5]` (verify result).
  const session = (protocol: number[]) =>
    Buffer.from([
      0x30,
      0x12,
      0x02,
      0x01,
      0x01,
      0x02,
      0x02,
      ...protocol,
      0xa3,
      0x04,
      0x30,
      0x02,
      0x05,
      0x00,
      0xa5,
      0x03,
      0x02,
      0x01,
      0x00,
    ]);

  it('drops the peer certificate of a TLS 1.3 session, and nothing else', () => {
    expect(withoutPeerCertificate(session([0x03, 0x04]))).toEqual(
      Buffer.from([0x30, 0x0c, 0x02, 0x01, 0x01, 0x02, 0x02, 0x03, 0x04, 0xa5, 0x03, 0x02, 0x01, 0x00]),
    );
  });

  it('leaves a TLS 1.2 session, and bytes it does not understand, as they are', () => {
    const tls12 = session([0x03, 0x03]);
    expect(withoutPeerCertificate(tls12)).toBe(tls12);
    const truncated = session([0x03, 0x04]).subarray(0, 12);
    expect(withoutPeerCertificate(truncated)).toBe(truncated);
  });
});
