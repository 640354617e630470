import { createServer, type Server } from 'node:net';
import { listeningUrl } from './listening-url';

describe('listeningUrl', () => {
  it('names every interface as 0.0.0.0, not as a loopback address', () => {
    expect(listeningUrl({ address: '0.0.0.0', family: 'IPv4', port: 5681 })).toBe('http://0.0.0.0:5681');
  });

  it('brackets IPv6 addresses', () => {
    expect(listeningUrl({ address: '::', family: 'IPv6', port: 80 })).toBe('http://[::]:80');
    expect(listeningUrl({ address: '::1', family: 'IPv6', port: 5681 })).toBe('http://[::1]:5681');
  });

  it('reads the address a real socket is bound to', async () => {
    const server: Server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '0.0.0.0', resolve));
    try {
      const { port } = server.address() as { port: number };
      expect(listeningUrl(server.address())).toBe(`http://0.0.0.0:${port}`);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('refuses a socket that is not a TCP address', () => {
    expect(() => listeningUrl('/tmp/api.sock')).toThrow('not bound to a TCP address');
    expect(() => listeningUrl(null)).toThrow('not bound to a TCP address');
  });
});
