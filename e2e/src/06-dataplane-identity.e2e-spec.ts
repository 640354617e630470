import { X509Certificate, createPrivateKey } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { BACKDATE_MS } from '@meshtls/pki';
import {
  AppProcess,
  DataplaneProcess,
  dataplaneToken,
  eventually,
  OpensslWorkspace,
  freePort,
  tempDir,
  type AdminView,
  type TempDir,
} from '@meshtls/testing';
import { http } from '../support/cli';
import {
  allowAllPermission,
  call,
  meshExchange,
  metricSum,
  startHttpApp,
  type CallResult,
} from '../support/traffic';

const meshDoc = (name: string, mtls?: object) =>
  JSON.stringify({ type: 'Mesh', name, ...(mtls ? { mtls } : {}) });
// 10 s certificates: rotated 7 s after issue, 3 s before they expire.
const builtin = (name: string, expiration = '10s') => ({
  name,
  type: 'builtin',
  dpCert: { rotation: { expiration } },
});

describe('dataplane identity (standalone)', () => {
  let dir: TempDir;
  let cp: AppProcess;
  let base: string;
  let dpPort: number;
  let openssl: OpensslWorkspace;
  const dataplanes: DataplaneProcess[] = [];
  const apps: { close(): Promise<void> }[] = [];
  const caFile = () => join(dir.path, 'data', 'dp-server', 'ca.pem');

  const startCp = async () => {
    cp = await AppProcess.start('control-plane', {
      MESH_DATA_DIR: join(dir.path, 'data'),
      MESH_HTTP_PORT: base.split(':')[2]!,
      MESH_DP_SERVER_PORT: String(dpPort),
      MESH_ROTATION_INTERVAL_MS: '200',
    });
  };
  const putMesh = async (name: string, mtls?: object) => {
    const r = await http('PUT', `${base}/meshes/${name}`, {
      body: meshDoc(name, mtls),
      contentType: 'application/json',
    });
    expect([200, 201]).toContain(r.status);
  };
  const token = (mesh: string, name: string) => dataplaneToken(base, mesh, name);
  const startDp = async (
    mesh: string,
    name: string,
    service: string,
    tokenText?: string,
    traffic: { servicePort?: number; outbounds?: { port: number; service: string }[] } = {},
  ) => {
    const dp = await DataplaneProcess.start({
      dir: dir.path,
      mesh,
      name,
      service,
      token: tokenText ?? (await token(mesh, name)),
      cpAddresses: [`127.0.0.1:${dpPort}`],
      caFile: caFile(),
      ...traffic,
    });
    dataplanes.push(dp);
    return dp;
  };
  const files = (dp: DataplaneProcess) => ({
    cert: readFileSync(join(dp.certDir, 'cert.pem'), 'utf8'),
    key: readFileSync(join(dp.certDir, 'key.pem'), 'utf8'),
    bundle: readFileSync(join(dp.certDir, 'ca.pem'), 'utf8'),
  });
  const serialOf = (v: AdminView) => v.identity?.serial;

  beforeAll(async () => {
    dir = await tempDir('meshtls-e2e-dp-');
    base = `http://127.0.0.1:${await freePort()}`;
    dpPort = await freePort();
    openssl = new OpensslWorkspace();
    await startCp();
    await putMesh('m', { enabledBackend: 'ca-1', backends: [builtin('ca-1')] });
  });

  afterAll(async () => {
    await Promise.all(dataplanes.map((d) => d.stop()));
    await Promise.all(apps.map((a) => a.close()));
    await cp?.stop();
    await dir?.remove();
    openssl?.close();
  });

  it('gives a connected dataplane a certificate that openssl verifies against the mesh CA', async () => {
    const dp = await startDp('m', 'web-1', 'web');
    const view = await dp.waitFor((v) => v.ready);
    expect(view.identity).toMatchObject({
      backend: 'ca-1',
      uris: ['spiffe://m/web', 'kuma://kuma.io/service/web'],
      reason: 'new',
    });
    const { cert, key, bundle } = files(dp);
    for (const f of ['cert.pem', 'key.pem', 'ca.pem']) {
      expect(statSync(join(dp.certDir, f)).mode & 0o777).toBe(0o600);
    }
    const text = openssl.text(cert);
    expect(text).toContain('URI:spiffe://m/web');
    expect(text).toMatch(/CA:FALSE/);
    openssl.write('bundle.pem', bundle);
    openssl.write('leaf.pem', cert);
    expect(openssl.run('verify', '-CAfile', 'bundle.pem', 'leaf.pem')).toContain('leaf.pem: OK');
    // The key in the directory is the key of the certificate, and the dataplane made it (EC P-256).
    const x509 = new X509Certificate(cert);
    expect(x509.checkPrivateKey(createPrivateKey(key))).toBe(true);
    expect(x509.publicKey.asymmetricKeyType).toBe('ec');
    expect(x509.serialNumber.toLowerCase()).toBe(view.identity!.serial.toLowerCase());
  });

  it('rotates at 4/5 of the validity, several times, each certificate verified', async () => {
    const dp = dataplanes[0]!;
    const seen: AdminView[] = [await dp.waitFor((v) => v.ready)];
    for (let i = 0; i < 2; i++) {
      const previous = seen[seen.length - 1]!;
      // However long the machine takes to get there: what counts is where the new certificate falls
      // against the times of the one it replaces.
      const next = await dp.waitFor((v) => v.ready && serialOf(v) !== serialOf(previous), 30_000);
      seen.push(next);
      expect(next.identity!.reason).toBe('rotation');
      // When it was signed, to the second (notBefore is that moment, truncated, minus the backdating):
      // not before the previous certificate's rotateAt, and while the previous certificate was still valid.
      const signedAt = Date.parse(next.identity!.notBefore) + BACKDATE_MS.leaf;
      const rotateAt = Date.parse(previous.identity!.rotateAt);
      expect(signedAt).toBeGreaterThanOrEqual(rotateAt - (rotateAt % 1000));
      expect(signedAt).toBeLessThan(Date.parse(previous.identity!.notAfter));
      const { cert } = files(dp);
      expect(new X509Certificate(cert).serialNumber.toLowerCase()).toBe(serialOf(next)!.toLowerCase());
      openssl.write('leaf.pem', cert);
      expect(openssl.run('verify', '-CAfile', 'bundle.pem', 'leaf.pem')).toContain('leaf.pem: OK');
    }
    const validity = Date.parse(seen[1]!.identity!.notAfter) - Date.parse(seen[1]!.identity!.notBefore);
    const rotateAfter = Date.parse(seen[1]!.identity!.rotateAt) - Date.parse(seen[1]!.identity!.notBefore);
    expect(rotateAfter / validity).toBeCloseTo(0.8, 2);
  });

  it('re-issues when the dataplane restarts', async () => {
    const before = await dataplanes[0]!.view();
    await dataplanes[0]!.stop();
    const dp = await startDp('m', 'web-1', 'web');
    const after = await dp.waitFor((v) => v.ready);
    expect(after.identity!.serial).not.toBe(before.identity!.serial);
    expect(after.identity!.reason).toBe('restart');
  });

  it('refuses a malformed token, a token of another dataplane and one signed by another key', async () => {
    const malformed = await attemptUntilExit('m', 'bad-1', 'not-a-token');
    expect(malformed).toMatch(/refused.*malformed/i);
    const foreign = await attemptUntilExit('m', 'bad-2', await token('m', 'someone-else'));
    expect(foreign).toMatch(/refused.*bound to dataplane "someone-else"/);
    await putMesh('other', { enabledBackend: 'ca-1', backends: [builtin('ca-1', '1h')] });
    const otherMeshToken = await token('other', 'bad-3');
    const [h, p, s] = otherMeshToken.split('.');
    const claims = JSON.parse(Buffer.from(p!, 'base64url').toString());
    const forged = [h, Buffer.from(JSON.stringify({ ...claims, Mesh: 'm' })).toString('base64url'), s].join(
      '.',
    );
    const badSignature = await attemptUntilExit('m', 'bad-3', forged);
    expect(badSignature).toMatch(/refused.*(signature|unknown-key)/i);

    async function attemptUntilExit(mesh: string, name: string, tokenText: string): Promise<string> {
      const dp = await startDp(mesh, name, 'api', tokenText);
      await dp.process.waitFor(/refused by/, 15_000);
      return dp.process.logs;
    }
  });

  it('switches CA without a moment where a peer distrusts the certificate it is shown', async () => {
    // 0. longer certificates, so no rotation happens during the switch (a validity change re-issues), and
    // a permission for every call of the mesh.
    await putMesh('m', { enabledBackend: 'ca-1', backends: [builtin('ca-1', '1h')] });
    const permission = await http('PUT', `${base}/meshes/m/meshtrafficpermissions/allow-all`, {
      body: JSON.stringify(allowAllPermission('m')),
      contentType: 'application/json',
    });
    expect(permission.status).toBe(201);
    // Two sidecars calling each other through their outbounds: every call is a new mTLS handshake between
    // them, in which each checks the other's certificate against its own trust bundle.
    const [frontApp, backendApp] = await Promise.all([startHttpApp('front'), startHttpApp('backend')]);
    apps.push(frontApp, backendApp);
    const [toBackend, toFront] = [await freePort(), await freePort()];
    const [front, server] = await Promise.all([
      startDp('m', 'front-1', 'front', undefined, {
        servicePort: frontApp.port,
        outbounds: [{ port: toBackend, service: 'backend' }],
      }),
      startDp('m', 'backend-1', 'backend', undefined, {
        servicePort: backendApp.port,
        outbounds: [{ port: toFront, service: 'front' }],
      }),
    ]);
    const both = [front, server] as const;
    await Promise.all(both.map((dp) => dp.waitFor((v) => v.ready && v.identity?.backend === 'ca-1')));
    const directions = [
      {
        name: 'front → backend',
        port: toBackend,
        expected: 'backend answers /',
        results: [] as CallResult[],
      },
      { name: 'backend → front', port: toFront, expected: 'front answers /', results: [] as CallResult[] },
    ];
    const answered = (r: CallResult, expected: string) => r.ok && r.status === 200 && r.body === expected;
    // Both ways work once each knows the other as an endpoint.
    await eventually(async () => {
      for (const d of directions) expect(answered(await call(d.port), d.expected)).toBe(true);
    }, 20_000);
    // The certificate each inbound presents, to a client with the other sidecar's certificate and bundle.
    const secretOf = async (name: string) => {
      const secret = await http('GET', `${base}/meshes/m/secrets/${name}`);
      expect(secret.status).toBe(200);
      return Buffer.from(secret.json.data, 'base64').toString();
    };
    const caOf = async (backend: string) =>
      new X509Certificate(await secretOf(`m.ca-builtin-cert-${backend}`));
    const presented = async (to: DataplaneProcess, from: DataplaneProcess) => {
      const { cert, key, bundle } = files(from);
      const exchange = await meshExchange(to.inboundPort, { cert, key, ca: bundle });
      expect(exchange.answer).toMatch(/^HTTP\/1\.[01] 200/);
      return exchange.peer;
    };
    const signedBy = (cert: X509Certificate, ca: X509Certificate) =>
      cert.checkIssued(ca) && cert.verify(ca.publicKey);
    const presentsFrom = async (ca: X509Certificate, other: X509Certificate) => {
      for (const [to, from] of [
        [server, front],
        [front, server],
      ] as const) {
        const peer = await presented(to, from);
        expect(peer.serialNumber.toLowerCase()).toBe(serialOf(await to.view())!.toLowerCase());
        expect(signedBy(peer, ca)).toBe(true);
        expect(signedBy(peer, other)).toBe(false);
      }
    };
    // What a failed handshake or call counts on either side, in either role; and the mTLS connections.
    const counters = async (dp: DataplaneProcess) => {
      const metrics = await dp.metrics();
      return {
        failures: {
          refused: metricSum(metrics, 'dataplane_inbound_refused_connections_total'),
          outboundErrors: metricSum(metrics, 'dataplane_outbound_errors_total'),
        },
        mtls: metricSum(metrics, 'dataplane_inbound_connections_total', 'kind="mtls"'),
      };
    };
    const countersBefore = await Promise.all(both.map(counters));
    const caCount = (dp: DataplaneProcess) => (files(dp).bundle.match(/BEGIN CERTIFICATE/g) ?? []).length;
    const serials = async () => Promise.all(both.map(async (dp) => serialOf(await dp.view())));

    let running = true;
    const loops = directions.map(async (d) => {
      while (running) d.results.push(await call(d.port));
    });
    // Waits until both directions have made more calls: traffic covers every step, whatever the pace.
    const moreCalls = () => {
      const marks = directions.map((d) => d.results.length);
      return eventually(
        () => directions.forEach((d, i) => expect(d.results.length).toBeGreaterThan(marks[i]! + 3)),
        30_000,
      );
    };
    try {
      await moreCalls();
      const ca1 = await caOf('ca-1');
      // 1. add ca-2: both trust both CAs, nothing re-issued.
      const before = await serials();
      await putMesh('m', {
        enabledBackend: 'ca-1',
        backends: [builtin('ca-1', '1h'), builtin('ca-2', '1h')],
      });
      await Promise.all(both.map((dp) => dp.waitFor((v) => v.identity?.supportedBackends.length === 2)));
      const ca2 = await caOf('ca-2');
      await moreCalls();
      expect(await serials()).toEqual(before);
      expect(both.map(caCount)).toEqual([2, 2]);
      await presentsFrom(ca1, ca2);
      // Before any sidecar holds a ca-2 certificate, each one's inbound already takes one: a client with a
      // certificate of ca-2 (as the first sidecar re-issued in step 2 will be) is answered by both.
      const probe = openssl.makeCa('front-from-ca-2', {
        keyType: 'ec',
        issuer: { name: 'ca-2', certPem: ca2.toString(), keyPem: await secretOf('m.ca-builtin-key-ca-2') },
        extensions: [
          'basicConstraints = critical, CA:FALSE',
          'keyUsage = critical, digitalSignature',
          'extendedKeyUsage = clientAuth',
          'subjectAltName = URI:spiffe://m/front',
        ],
      });
      for (const to of both) {
        const exchange = await meshExchange(to.inboundPort, {
          cert: probe.certPem,
          key: probe.keyPem,
          ca: files(to).bundle,
        });
        expect(exchange.answer).toMatch(/^HTTP\/1\.[01] 200/);
      }
      // 2. switch to ca-2: re-issued from ca-2.
      await putMesh('m', {
        enabledBackend: 'ca-2',
        backends: [builtin('ca-1', '1h'), builtin('ca-2', '1h')],
      });
      await Promise.all(both.map((dp) => dp.waitFor((v) => v.identity?.backend === 'ca-2')));
      await moreCalls();
      const afterSwitch = await serials();
      expect(afterSwitch[0]).not.toBe(before[0]);
      expect(afterSwitch[1]).not.toBe(before[1]);
      await presentsFrom(ca2, ca1);
      // 3. remove ca-1: only the bundle changes.
      await putMesh('m', { enabledBackend: 'ca-2', backends: [builtin('ca-2', '1h')] });
      await Promise.all(both.map((dp) => dp.waitFor((v) => v.identity?.supportedBackends.length === 1)));
      await moreCalls();
      expect(await serials()).toEqual(afterSwitch);
      expect(both.map(caCount)).toEqual([1, 1]);
      await presentsFrom(ca2, ca1);
    } finally {
      running = false;
      await Promise.all(loops);
    }
    for (const d of directions) {
      expect({ [d.name]: d.results.filter((r) => !answered(r, d.expected)) }).toEqual({ [d.name]: [] });
    }
    // No handshake failed on either side, in either role, and the calls were mTLS.
    const countersAfter = await Promise.all(both.map(counters));
    for (const [i, after] of countersAfter.entries()) {
      expect(after.failures).toEqual(countersBefore[i]!.failures);
      expect(after.mtls).toBeGreaterThan(countersBefore[i]!.mtls + 10);
    }
  });

  it('withdraws identities when mTLS is disabled and issues again when it is enabled', async () => {
    const dp = dataplanes.find((d) => d.certDir.includes('backend-1'))!;
    const inCertDir = () => (existsSync(dp.certDir) ? readdirSync(dp.certDir).sort() : []);
    expect(inCertDir()).toEqual(['ca.pem', 'cert.pem', 'key.pem']);
    await putMesh('m');
    await dp.waitFor((v) => v.mtls === 'disabled');
    // Every file of the identity is gone (nothing else was ever in the directory).
    expect(inCertDir()).toEqual([]);
    await putMesh('m', { enabledBackend: 'ca-2', backends: [builtin('ca-2', '1h')] });
    const view = await dp.waitFor((v) => v.mtls === 'enabled' && v.ready);
    expect(view.identity!.reason).toBe('mesh-change');
    expect(inCertDir()).toEqual(['ca.pem', 'cert.pem', 'key.pem']);
  });

  it('re-issues when the control plane restarts', async () => {
    const dp = dataplanes.find((d) => d.certDir.includes('backend-1'))!;
    const before = await dp.view();
    await cp.stop();
    // The dataplane keeps its certificate (and stays ready) while the control plane is away.
    expect((await dp.view()).ready).toBe(true);
    await startCp();
    const after = await dp.waitFor((v) => v.ready && serialOf(v) !== serialOf(before), 30_000);
    expect(after.identity!.backend).toBe('ca-2');
  });
});
