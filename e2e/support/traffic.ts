export { metricSum } from '@meshtls/testing';
import { spawn } from 'node:child_process';
import type { X509Certificate } from 'node:crypto';
import { createServer, request, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

/** An application answering every request with its name, on 127.0.0.1 (port 0: a free one). */
export async function startHttpApp(
  name: string,
  port = 0,
): Promise<{ port: number; close(): Promise<void> }> {
  const server = createServer((req, res) => res.end(`${name} answers ${req.url}`));
  return listening(server, port);
}

/** An application doing TLS itself (its own certificate), to be passed through untouched. */
export async function startHttpsApp(
  name: string,
  tls: { certPem: string; keyPem: string },
  port = 0,
): Promise<{ port: number; close(): Promise<void> }> {
  const server = createHttpsServer({ cert: tls.certPem, key: tls.keyPem }, (req, res) =>
    res.end(`${name} answers ${req.url} over its own TLS`),
  );
  return listening(server as unknown as Server, port);
}

async function listening(server: Server, port: number): Promise<{ port: number; close(): Promise<void> }> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}

export type CallResult = { ok: true; status: number; body: string } | { ok: false; error: string };

/** One HTTP GET on a new connection (no pooling: each call is a new connection through the proxy). */
export function call(port: number, path = '/', timeoutMs = 5000): Promise<CallResult> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ ok: true, status: res.statusCode ?? 0, body }));
      res.on('error', (e) => resolve({ ok: false, error: e.message }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e) => resolve({ ok: false, error: e.message }));
    req.end();
  });
}

/**
 * `openssl s_client` to 127.0.0.1:port sending one HTTP/1.0 request: the foreign TLS client of the
 * checks. Returns whether the HTTP answer came back, and everything openssl printed. Asynchronous: the
 * applications answering live in the test's own process.
 */
export function sClient(
  port: number,
  options: {
    cert?: string;
    key?: string;
    caFile?: string;
    alpn?: string;
    /** Save the TLS session to this file (`-sess_out`), or offer the one saved there (`-sess_in`). */
    session?: { out: string } | { in: string };
  } = {},
): Promise<{ answered: boolean; reused: boolean; output: string }> {
  // -brief: the peer certificate and the verification result, then the application's bytes; left out
  // with a session, whose full report says whether it was reused.
  const args = ['s_client', '-connect', `127.0.0.1:${port}`, '-ign_eof'];
  if (!options.session) args.push('-brief');
  if (options.cert) args.push('-cert', options.cert);
  if (options.key) args.push('-key', options.key);
  if (options.caFile) args.push('-CAfile', options.caFile);
  if (options.alpn) args.push('-alpn', options.alpn);
  if (options.session)
    args.push(
      ...('out' in options.session ? ['-sess_out', options.session.out] : ['-sess_in', options.session.in]),
    );
  return new Promise((resolve, reject) => {
    const child = spawn('openssl', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.on('error', reject);
    child.on('close', () => {
      clearTimeout(timer);
      resolve({
        answered: /HTTP\/1\.[01] 200/.test(output),
        reused: /^Reused, TLSv1\.[23]/m.test(output),
        output,
      });
    });
    child.stdin.end('GET /via-openssl HTTP/1.0\r\n\r\n');
  });
}

/**
 * One mesh mTLS exchange with Node's TLS to a sidecar's inbound on 127.0.0.1:port: shows `cert` (leaf
 * then chain) and `key`, trusts only the CAs of `ca` (PEM), offers the mesh ALPN and sends one HTTP/1.0
 * request. Resolves with the certificate the inbound presented and the application's answer once the
 * sidecar closed the exchange; rejects when the handshake or the exchange fails.
 */
export function meshExchange(
  port: number,
  tls: { cert: string; key: string; ca: string },
  timeoutMs = 10_000,
): Promise<{ peer: X509Certificate; answer: string }> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({
      host: '127.0.0.1',
      port,
      ...tls,
      ALPNProtocols: ['mesh-mtls'],
      rejectUnauthorized: true,
      // Mesh certificates name SPIFFE URIs, not hosts: the chain is checked, the name by the caller.
      checkServerIdentity: () => undefined,
    });
    let answer = '';
    let peer: X509Certificate | undefined;
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    socket.once('secureConnect', () => {
      peer = socket.getPeerX509Certificate();
      socket.write('GET /via-node-tls HTTP/1.0\r\n\r\n');
    });
    socket.on('data', (d: Buffer) => (answer += d.toString()));
    socket.once('error', reject);
    socket.once('end', () => {
      socket.destroy();
      if (peer) resolve({ peer, answer });
      else reject(new Error(`no peer certificate; answer: ${answer}`));
    });
  });
}

/** A MeshTrafficPermission letting every service of `mesh` call every other. */
export const allowAllPermission = (mesh: string, name = 'allow-all') => ({
  type: 'MeshTrafficPermission',
  mesh,
  name,
  spec: {
    targetRef: { kind: 'Mesh' },
    from: [{ targetRef: { kind: 'Mesh' }, default: { action: 'Allow' } }],
  },
});
