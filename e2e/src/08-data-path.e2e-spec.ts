import { Agent, request } from 'node:http';
import { join } from 'node:path';
import {
  DataplaneProcess,
  OpensslWorkspace,
  eventually,
  freePort,
  startStandaloneControlPlane,
  tempDir,
  type AdminView,
  type StandaloneControlPlane,
  type TempDir,
} from '@meshtls/testing';
import { http } from '../support/cli';
import { call, metricSum, sClient, startHttpApp, startHttpsApp, type CallResult } from '../support/traffic';

/**
 * The data path with real processes: a standalone control plane, sidecars in front of small HTTP
 * applications, and foreign clients (openssl s_client, plain HTTP) knocking on the inbounds.
 *
 *   web-1 ──outbound──▶ backend-1 ──▶ backend app      api-1 ──outbound──▶ backend-1
 *   secure-1 (service "secure") ──▶ an application doing its own TLS
 */
describe('mTLS data path (standalone)', () => {
  let dir: TempDir;
  let cp: StandaloneControlPlane;
  let base: string;
  let openssl: OpensslWorkspace;
  const closers: (() => Promise<unknown>)[] = [];
  let backend: DataplaneProcess;
  let web: DataplaneProcess;
  let api: DataplaneProcess;
  let secure: DataplaneProcess;
  let webToBackend: number;
  let apiToBackend: number;

  const mesh = (mode: 'STRICT' | 'PERMISSIVE') => ({
    type: 'Mesh',
    name: 'm',
    mtls: {
      enabledBackend: 'ca-1',
      backends: [{ name: 'ca-1', type: 'builtin', mode, dpCert: { rotation: { expiration: '1h' } } }],
    },
  });
  const put = async (path: string, doc: object) => {
    const r = await http('PUT', `${base}${path}`, {
      body: JSON.stringify(doc),
      contentType: 'application/json',
    });
    expect([200, 201]).toContain(r.status);
  };
  const permission = (name: string, target: object, from: object, action: string) =>
    put(`/meshes/m/meshtrafficpermissions/${name}`, {
      type: 'MeshTrafficPermission',
      mesh: 'm',
      name,
      spec: { targetRef: target, from: [{ targetRef: from, default: { action } }] },
    });
  const removePermission = async (name: string) =>
    expect((await http('DELETE', `${base}/meshes/m/meshtrafficpermissions/${name}`)).status).toBe(200);
  const startDp = async (
    name: string,
    service: string,
    servicePort: number,
    outbounds: { port: number; service: string }[] = [],
  ) => {
    const dp = await DataplaneProcess.start({
      dir: dir.path,
      mesh: 'm',
      name,
      service,
      token: await cp.dataplaneToken('m', name),
      cpAddresses: [cp.dpAddress],
      caFile: cp.dpCaFile,
      servicePort,
      outbounds,
    });
    closers.push(() => dp.stop());
    return dp;
  };
  /** Ready, with its inbound and outbound listeners open. */
  const listening = (dp: DataplaneProcess, outbounds: number) =>
    dp.waitFor(
      (v: AdminView) =>
        v.ready &&
        Object.keys(v.listeners.inbound).length === 1 &&
        Object.keys(v.listeners.outbound).length === outbounds,
    );
  const answered = (r: CallResult) => r.ok && r.status === 200;
  /** backend's inbound: connections refused in the handshake or by permissions, and mTLS ones let in. */
  const inboundCounts = async () => {
    const metrics = await backend.metrics();
    return {
      handshake: metricSum(metrics, 'dataplane_inbound_refused_connections_total', 'reason="handshake"'),
      notAllowed: metricSum(metrics, 'dataplane_inbound_refused_connections_total', 'reason="not-allowed"'),
      mtls: metricSum(metrics, 'dataplane_inbound_connections_total', 'kind="mtls"'),
    };
  };
  const certFiles = (dp: DataplaneProcess) => ({
    cert: join(dp.certDir, 'cert.pem'),
    key: join(dp.certDir, 'key.pem'),
    caFile: join(dp.certDir, 'ca.pem'),
  });

  beforeAll(async () => {
    dir = await tempDir('meshtls-e2e-data-path-');
    openssl = new OpensslWorkspace();
    cp = await startStandaloneControlPlane(join(dir.path, 'data'));
    base = cp.url;
    closers.push(() => cp.stop());
    await put('/meshes/m', mesh('STRICT'));
    const backendApp = await startHttpApp('backend');
    const webApp = await startHttpApp('web');
    const apiApp = await startHttpApp('api');
    const appCa = openssl.makeCa('app-ca', { keyType: 'ec' });
    const appLeaf = openssl.makeCa('secure-app', {
      keyType: 'ec',
      issuer: appCa,
      extensions: ['basicConstraints = critical, CA:FALSE', 'subjectAltName = DNS:secure.local'],
    });
    const secureApp = await startHttpsApp('secure', appLeaf);
    for (const app of [backendApp, webApp, apiApp, secureApp]) closers.push(() => app.close());
    webToBackend = await freePort();
    apiToBackend = await freePort();
    [backend, web, api, secure] = await Promise.all([
      startDp('backend-1', 'backend', backendApp.port),
      startDp('web-1', 'web', webApp.port, [{ port: webToBackend, service: 'backend' }]),
      startDp('api-1', 'api', apiApp.port, [{ port: apiToBackend, service: 'backend' }]),
      startDp('secure-1', 'secure', secureApp.port),
    ]);
    await Promise.all([listening(backend, 0), listening(web, 1), listening(api, 1), listening(secure, 0)]);
  });

  afterAll(async () => {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    await dir?.remove();
    openssl?.close();
  });

  it('with mTLS on and no permission, web cannot call backend, and the refusal names who, what and why', async () => {
    const r = await call(webToBackend);
    expect(answered(r)).toBe(false);
    await backend.process.waitFor(
      /refused connection to backend:\d+ from spiffe:\/\/m\/web \(.*\): not-allowed: no MeshTrafficPermission allows it/,
      5_000,
    );
    expect(await backend.metrics()).toMatch(
      /dataplane_inbound_refused_connections_total\{inbound="backend:\d+",reason="not-allowed"\} [1-9]/,
    );
  });

  it('after an Allow from web, web can call backend (over mTLS), api still cannot', async () => {
    await permission(
      'backend-from-web',
      { kind: 'MeshService', name: 'backend' },
      { kind: 'MeshService', name: 'web' },
      'Allow',
    );
    await eventually(async () => expect(answered(await call(webToBackend))).toBe(true), 5_000);
    const r = await call(webToBackend, '/hello');
    expect(r).toEqual({ ok: true, status: 200, body: 'backend answers /hello' });
    expect(answered(await call(apiToBackend))).toBe(false);
    expect(await web.metrics()).toMatch(
      /dataplane_outbound_connections_total\{service="backend",mtls="true"\} [1-9]/,
    );
    expect(await backend.metrics()).toMatch(
      /dataplane_inbound_connections_total\{inbound="backend:\d+",kind="mtls"\} [1-9]/,
    );
  });

  it('a Deny for api overrides a broader Allow for the whole mesh; AllowWithShadowDeny is allowed and logged', async () => {
    await permission('backend-from-all', { kind: 'Mesh' }, { kind: 'Mesh' }, 'Allow');
    await eventually(async () => expect(answered(await call(apiToBackend))).toBe(true), 5_000);
    await permission(
      'backend-not-api',
      { kind: 'MeshService', name: 'backend' },
      { kind: 'MeshService', name: 'api' },
      'Deny',
    );
    await eventually(async () => expect(answered(await call(apiToBackend))).toBe(false), 5_000);
    expect(answered(await call(webToBackend))).toBe(true);
    await backend.process.waitFor(
      /from spiffe:\/\/m\/api .*not-allowed: MeshTrafficPermission "backend-not-api" from\[0\]: Deny/,
      5_000,
    );
    await permission(
      'backend-not-api',
      { kind: 'MeshService', name: 'backend' },
      { kind: 'MeshService', name: 'api' },
      'AllowWithShadowDeny',
    );
    await eventually(async () => expect(answered(await call(apiToBackend))).toBe(true), 5_000);
    await backend.process.waitFor(
      /shadow deny: connection to backend:\d+ from spiffe:\/\/m\/api would be denied/,
      5_000,
    );
    await removePermission('backend-not-api');
    await removePermission('backend-from-all');
    await eventually(async () => expect(answered(await call(apiToBackend))).toBe(false), 5_000);
  });

  it('STRICT refuses plaintext, a client without certificate and one from an unknown CA; a mesh certificate gets through', async () => {
    expect(answered(await call(backend.inboundPort))).toBe(false);
    const bare = await sClient(backend.inboundPort, { alpn: 'mesh-mtls' });
    expect(bare.answered).toBe(false);
    const webFiles = certFiles(web);
    const stranger = openssl.makeCa('stranger-ca', { keyType: 'ec' });
    const impostor = openssl.makeCa('impostor-web', {
      keyType: 'ec',
      issuer: stranger,
      extensions: [
        'basicConstraints = critical, CA:FALSE',
        'keyUsage = critical, digitalSignature',
        'extendedKeyUsage = clientAuth',
        'subjectAltName = URI:spiffe://m/web',
      ],
    });
    const countsBefore = await inboundCounts();
    const logBefore = backend.process.logs.length;
    const foreign = await sClient(backend.inboundPort, {
      cert: join(openssl.dir, `${impostor.name}.pem`),
      key: join(openssl.dir, `${impostor.name}.key`),
      caFile: webFiles.caFile,
      alpn: 'mesh-mtls',
    });
    expect(foreign.answered).toBe(false);
    // backend refused it in the handshake, for the certificate it was shown (not for showing none, and
    // not after taking it as spiffe://m/web), and counted exactly that.
    const refusal =
      /refused connection to backend:\d+ from a client without mesh certificate \(.*\): handshake: (.*)/;
    await eventually(() => expect(backend.process.logs.slice(logBefore)).toMatch(refusal), 5_000);
    expect(backend.process.logs.slice(logBefore).match(refusal)![1]).not.toMatch(
      /did not return a certificate/,
    );
    expect(await inboundCounts()).toEqual({ ...countsBefore, handshake: countsBefore.handshake + 1 });
    // With web's own certificate (from its cert dir), openssl gets the answer and sees backend's identity.
    const meshed = await sClient(backend.inboundPort, { ...webFiles, alpn: 'mesh-mtls' });
    expect(meshed.answered).toBe(true);
    expect(meshed.output).toContain('backend answers /via-openssl');
    expect(meshed.output).toMatch(/^Verification: OK$/m);
    expect(await backend.metrics()).toMatch(/reason="handshake"\} [1-9]/);
  });

  it('PERMISSIVE passes plaintext and the application’s own TLS through and keeps mesh mTLS with permissions', async () => {
    await put('/meshes/m', mesh('PERMISSIVE'));
    await Promise.all(
      [backend, secure, web].map((dp) => dp.waitFor((v) => v.identity?.mode === 'PERMISSIVE' && v.ready)),
    );
    await eventually(
      async () =>
        expect(await call(backend.inboundPort, '/plain')).toEqual({
          ok: true,
          status: 200,
          body: 'backend answers /plain',
        }),
      5_000,
    );
    // The application's own TLS reaches it untouched: openssl sees the application's certificate.
    const own = await sClient(secure.inboundPort);
    expect(own.answered).toBe(true);
    expect(own.output).toContain('secure answers /via-openssl over its own TLS');
    expect(own.output).toMatch(/Peer certificate: .*CN = secure-app/);
    // Mesh clients still go through mTLS and MeshTrafficPermission.
    expect(answered(await call(webToBackend))).toBe(true);
    expect(answered(await call(apiToBackend))).toBe(false);
    expect(await backend.metrics()).toMatch(/kind="plaintext"\} [1-9]/);
    expect(await secure.metrics()).toMatch(/kind="tls-passthrough"\} [1-9]/);
  });

  it('switching PERMISSIVE → STRICT under steady traffic from a mesh client loses no request', async () => {
    let stop = false;
    const results: CallResult[] = [];
    const loop = async () => {
      while (!stop) results.push(await call(webToBackend));
    };
    const loops = [loop(), loop(), loop()];
    await new Promise((r) => setTimeout(r, 500));
    const before = results.length;
    await put('/meshes/m', mesh('STRICT'));
    await Promise.all(
      [backend, web].map((dp) => dp.waitFor((v) => v.identity?.mode === 'STRICT' && v.ready)),
    );
    await new Promise((r) => setTimeout(r, 500));
    stop = true;
    await Promise.all(loops);
    const failed = results.filter((r) => !answered(r));
    expect(before).toBeGreaterThan(0);
    expect(results.length).toBeGreaterThan(before);
    expect(failed).toEqual([]);
    // Plaintext is refused again now.
    expect(answered(await call(backend.inboundPort))).toBe(false);
  });

  it('a CA switch under steady traffic fails no handshake and drops no open connection', async () => {
    const backendCa = (name: string) => ({
      name,
      type: 'builtin',
      mode: 'STRICT',
      dpCert: { rotation: { expiration: '1h' } },
    });
    const meshWith = (enabledBackend: string, backends: string[]) => ({
      type: 'Mesh',
      name: 'm',
      mtls: { enabledBackend, backends: backends.map(backendCa) },
    });
    // One keep-alive connection through web's outbound, open across the whole switch.
    const kept = new Agent({ keepAlive: true, maxSockets: 1 });
    const sockets = new Set<unknown>();
    const keptCall = () =>
      new Promise<string>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port: webToBackend, path: '/kept', agent: kept }, (res) => {
          sockets.add(res.socket);
          let body = '';
          res.on('data', (d: Buffer) => (body += d.toString()));
          res.on('end', () => resolve(body));
        });
        req.on('error', reject);
        req.end();
      });
    expect(await keptCall()).toBe('backend answers /kept');
    const handshakeRefusals = async () =>
      metricSum(await backend.metrics(), 'dataplane_inbound_refused_connections_total', 'reason="handshake"');
    const refusedBefore = await handshakeRefusals();
    let stop = false;
    const results: CallResult[] = [];
    const loop = async () => {
      while (!stop) results.push(await call(webToBackend));
    };
    const loops = [loop(), loop()];
    const backendOf = (dp: DataplaneProcess, backend: string, trusted: number) =>
      dp.waitFor((v) => v.identity?.backend === backend && v.identity.supportedBackends.length === trusted);
    await put('/meshes/m', meshWith('ca-1', ['ca-1', 'ca-2']));
    await Promise.all([backend, web].map((dp) => backendOf(dp, 'ca-1', 2)));
    await put('/meshes/m', meshWith('ca-2', ['ca-1', 'ca-2']));
    await Promise.all([backend, web].map((dp) => backendOf(dp, 'ca-2', 2)));
    await put('/meshes/m', meshWith('ca-2', ['ca-2']));
    await Promise.all([backend, web].map((dp) => backendOf(dp, 'ca-2', 1)));
    await new Promise((r) => setTimeout(r, 300));
    stop = true;
    await Promise.all(loops);
    expect(results.filter((r) => !answered(r))).toEqual([]);
    expect(results.length).toBeGreaterThan(10);
    expect(await keptCall()).toBe('backend answers /kept');
    expect(sockets.size).toBe(1); // the same connection, negotiated under ca-1, still carries requests
    kept.destroy();
    expect(await handshakeRefusals()).toBe(refusedBefore);
  });
});
