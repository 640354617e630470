import { X509Certificate, createPrivateKey } from 'node:crypto';
import { createServer, connect } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { createServerIdentity } from './server-identity';

describe('createServerIdentity', () => {
  const identity = createServerIdentity({
    hostnames: ['localhost', '127.0.0.1', '::1', 'cp.mesh.svc'],
    validityMs: 3_600_000,
    now: new Date(),
  });

  it('makes a CA and a server certificate that Node reads back with the requested names', () => {
    const ca = new X509Certificate(identity.caCertPem);
    const leaf = new X509Certificate(identity.certPem);
    expect(ca.ca).toBe(true);
    expect(leaf.ca).toBe(false);
    expect(leaf.verify(ca.publicKey)).toBe(true);
    expect(leaf.checkIssued(ca)).toBe(true);
    expect(leaf.subjectAltName).toBe(
      'DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, DNS:cp.mesh.svc',
    );
    expect(leaf.checkHost('cp.mesh.svc')).toBe('cp.mesh.svc');
    expect(leaf.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(leaf.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
    expect(leaf.checkPrivateKey(createPrivateKey(identity.keyPem))).toBe(true);
  });

  it('serves TLS that a client trusting only the CA accepts for 127.0.0.1 and localhost', async () => {
    const server = createServer({ cert: identity.certPem, key: identity.keyPem }, (s) => s.end('ok'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    const handshake = (servername: string) =>
      new Promise<string>((resolve, reject) => {
        const socket = connect({ host: '127.0.0.1', port, ca: identity.caCertPem, servername }, () => {
          socket.once('data', (d) => resolve(d.toString()));
        });
        socket.once('error', reject);
      });
    try {
      expect(await handshake('localhost')).toBe('ok');
      await expect(handshake('other.example')).rejects.toThrow(/altnames|Hostname/i);
    } finally {
      server.close();
    }
  });
});
