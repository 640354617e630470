import { createServer, type AddressInfo } from 'node:net';
import { connect } from 'node:tls';
import { MESH_ALPN, classifyFirstBytes, offeredAlpn } from './first-bytes.classifier';

/** The first bytes Node's own TLS client sends (a second implementation writes the ClientHello). */
async function clientHello(alpn?: string[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const server = createServer((socket) => {
      let data = Buffer.alloc(0);
      socket.on('data', (chunk: Buffer) => {
        data = Buffer.concat([data, chunk]);
        if (data.length >= 5 && data.length >= 5 + data.readUInt16BE(3)) {
          socket.destroy();
          server.close();
          resolve(data);
        }
      });
    });
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      const tls = connect({
        host: '127.0.0.1',
        port,
        rejectUnauthorized: false,
        ...(alpn ? { ALPNProtocols: alpn } : {}),
      });
      tls.on('error', () => undefined);
      setTimeout(() => reject(new Error('no ClientHello')), 3000).unref();
    });
  });
}

describe('classifyFirstBytes', () => {
  it('recognises mesh mTLS by the ALPN a real TLS client offers', async () => {
    const hello = await clientHello(['h2', MESH_ALPN]);
    expect(offeredAlpn(hello.subarray(5))).toEqual(['h2', MESH_ALPN]);
    expect(classifyFirstBytes(hello)).toBe('mesh-tls');
  });

  it("passes the application's own TLS through: other ALPN, or none", async () => {
    expect(classifyFirstBytes(await clientHello(['h2', 'http/1.1']))).toBe('other-tls');
    expect(classifyFirstBytes(await clientHello())).toBe('other-tls');
  });

  it('waits for the whole first record, then decides', async () => {
    const hello = await clientHello([MESH_ALPN]);
    for (const cut of [0, 1, 4, 5, 40, hello.length - 1]) {
      expect(classifyFirstBytes(hello.subarray(0, cut))).toBe('need-more');
    }
    expect(classifyFirstBytes(hello)).toBe('mesh-tls');
  });

  it('treats anything that is not a TLS handshake as plaintext', () => {
    expect(classifyFirstBytes(Buffer.from('GET / HTTP/1.1\r\n'))).toBe('plaintext');
    expect(classifyFirstBytes(Buffer.from([0x16, 0x01, 0x00]))).toBe('plaintext');
  });

  it('never throws on garbage that looks like a record', () => {
    const junk = Buffer.concat([Buffer.from([0x16, 0x03, 0x01, 0x00, 0x10]), Buffer.alloc(16, 0xff)]);
    expect(classifyFirstBytes(junk)).toBe('other-tls');
    const huge = Buffer.from([0x16, 0x03, 0x01, 0xff, 0xff]);
    expect(classifyFirstBytes(huge)).toBe('other-tls');
  });
});
