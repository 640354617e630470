import { generateKeyPairSync } from 'node:crypto';
import { copyFileSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SigningCa } from '@meshtls/pki';
import {
  CA_EXTENSIONS,
  DataplaneProcess,
  OpensslWorkspace,
  eventually,
  freePort,
  startStandaloneControlPlane,
  tempDir,
  type AdminView,
  type StandaloneControlPlane,
  type TempDir,
  type TestCa,
} from '@meshtls/testing';
import { http } from '../support/cli';
import { call, metricSum, sClient, startHttpApp } from '../support/traffic';

interface Tls {
  readonly cert: string;
  readonly key: string;
  readonly caFile: string;
}

/** openssl s_client to an inbound with `tls`, saving (`out`) or offering (`in`) a TLS session. */
function sessionClient(port: number, tls: Tls, session: { out: string } | { in: string }) {
  return sClient(port, { cert: tls.cert, key: tls.key, caFile: tls.caFile, alpn: 'mesh-mtls', session });
}

/**
 * TLS session resumption between real sidecars (a standalone control plane, two sidecars, openssl as a
 * foreign client holding a sidecar's certificate): connections are resumed, and a resumed session is
 * refused whenever a full handshake would be, or permissions would refuse it.
 *
 *   web-1 ──outbound──▶ backend-1 ──▶ backend app
 */
describe('TLS session resumption between sidecars', () => {
  let dir: TempDir;
  let openssl: OpensslWorkspace;
  let cp: StandaloneControlPlane;
  let base: string;
  let ca1: TestCa;
  let backend: DataplaneProcess;
  let web: DataplaneProcess;
  let webToBackend: number;
  const closers: (() => Promise<unknown>)[] = [];

  const put = async (path: string, doc: object) => {
    const r = await http('PUT', `${base}${path}`, {
      body: JSON.stringify(doc),
      contentType: 'application/json',
    });
    expect([200, 201]).toContain(r.status);
  };
  const provided = () => ({
    name: 'ca-1',
    type: 'provided',
    dpCert: { rotation: { expiration: '1h' } },
    conf: { cert: { inlineString: ca1.certPem }, key: { inlineString: ca1.keyPem } },
  });
  const builtin = { name: 'ca-2', type: 'builtin', dpCert: { rotation: { expiration: '1h' } } };
  const putMesh = (enabledBackend: string, backends: object[]) =>
    put('/meshes/m', { type: 'Mesh', name: 'm', mtls: { enabledBackend, backends } });
  const permission = (action: 'Allow' | 'Deny') =>
    put('/meshes/m/meshtrafficpermissions/backend-from-web', {
      type: 'MeshTrafficPermission',
      mesh: 'm',
      name: 'backend-from-web',
      spec: {
        targetRef: { kind: 'MeshService', name: 'backend' },
        from: [{ targetRef: { kind: 'MeshService', name: 'web' }, default: { action } }],
      },
    });
  /** A copy of a sidecar's identity as it is now (its cert dir changes on re-issue). */
  const identityOf = (dp: DataplaneProcess, as: string): Tls => {
    const tls = { cert: join(dir.path, `${as}.cert.pem`), key: join(dir.path, `${as}.key.pem`) };
    copyFileSync(join(dp.certDir, 'cert.pem'), tls.cert);
    copyFileSync(join(dp.certDir, 'key.pem'), tls.key);
    return { ...tls, caFile: join(backend.certDir, 'ca.pem') };
  };
  const refusals = async (reason: 'handshake' | 'not-allowed') =>
    metricSum(await backend.metrics(), 'dataplane_inbound_refused_connections_total', `reason="${reason}"`);
  const sessionFile = (name: string) => join(dir.path, `${name}.session`);

  beforeAll(async () => {
    dir = await tempDir('meshtls-e2e-session-resumption-');
    openssl = new OpensslWorkspace();
    ca1 = openssl.makeCa('ca-1', { keyType: 'ec', extensions: CA_EXTENSIONS });
    cp = await startStandaloneControlPlane(join(dir.path, 'data'));
    base = cp.url;
    closers.push(() => cp.stop());
    await putMesh('ca-1', [provided(), builtin]);
    await permission('Allow');
    const backendApp = await startHttpApp('backend');
    closers.push(() => backendApp.close());
    webToBackend = await freePort();
    const start = async (name: string, service: string, extra: object) => {
      const dp = await DataplaneProcess.start({
        dir: dir.path,
        mesh: 'm',
        name,
        service,
        token: await cp.dataplaneToken('m', name),
        cpAddresses: [cp.dpAddress],
        caFile: cp.dpCaFile,
        ...extra,
      });
      closers.push(() => dp.stop());
      return dp;
    };
    [backend, web] = await Promise.all([
      start('backend-1', 'backend', { servicePort: backendApp.port }),
      start('web-1', 'web', { outbounds: [{ port: webToBackend, service: 'backend' }] }),
    ]);
    const listening = (dp: DataplaneProcess, outbounds: number) =>
      dp.waitFor(
        (v: AdminView) =>
          v.ready &&
          Object.keys(v.listeners.inbound).length === 1 &&
          Object.keys(v.listeners.outbound).length === outbounds,
      );
    await Promise.all([listening(backend, 0), listening(web, 1)]);
  });

  afterAll(async () => {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    await dir?.remove();
    openssl?.close();
  });

  it('resumes sessions between the sidecars, and counts them on both sides', async () => {
    const resumed = async () => ({
      inbound: metricSum(await backend.metrics(), 'dataplane_inbound_resumed_connections_total'),
      outbound: metricSum(await web.metrics(), 'dataplane_outbound_resumed_connections_total'),
    });
    const before = await resumed();
    for (let i = 0; i < 10; i++) {
      const answer = await call(webToBackend, `/call-${i}`);
      expect(answer).toEqual({ ok: true, status: 200, body: `backend answers /call-${i}` });
    }
    const after = await resumed();
    expect(after.inbound).toBeGreaterThan(before.inbound);
    expect(after.outbound).toBeGreaterThan(before.outbound);
    // Every outbound resumption was one on the inbound too (nobody else resumed meanwhile).
    expect(after.inbound - before.inbound).toBe(after.outbound - before.outbound);
  });

  it('openssl resumes a session with a sidecar certificate, until a MeshTrafficPermission denies its service', async () => {
    const tls = identityOf(web, 'web-now');
    const session = sessionFile('web-mtp');
    const first = await sessionClient(backend.inboundPort, tls, { out: session });
    expect(first).toMatchObject({ answered: true, reused: false });
    expect(existsSync(session)).toBe(true);
    expect(await sessionClient(backend.inboundPort, tls, { in: session })).toMatchObject({
      answered: true,
      reused: true,
    });
    const refusedBefore = await refusals('not-allowed');
    await permission('Deny');
    try {
      await eventually(async () => {
        const resumedAfterDeny = await sessionClient(backend.inboundPort, tls, { in: session });
        expect(resumedAfterDeny).toMatchObject({ answered: false, reused: true });
      }, 15_000);
      expect(await refusals('not-allowed')).toBeGreaterThan(refusedBefore);
      expect(backend.process.logs).toMatch(
        /refused connection to backend:\d+ from spiffe:\/\/m\/web .*: not-allowed: MeshTrafficPermission "backend-from-web"/,
      );
    } finally {
      await permission('Allow');
    }
    await eventually(async () => expect((await call(webToBackend)).ok).toBe(true), 15_000);
  });

  it('refuses a resumed session whose client certificate has expired since', async () => {
    // A web certificate of ca-1 (the test holds its key) valid for a few seconds only.
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const issued = SigningCa.load({ certChainPem: ca1.certPem, keyPem: ca1.keyPem }).issue({
      publicKey,
      uris: ['spiffe://m/web'],
      validityMs: 4_000,
      now: new Date(),
    });
    const tls: Tls = {
      cert: join(dir.path, 'short-lived.cert.pem'),
      key: join(dir.path, 'short-lived.key.pem'),
      caFile: join(backend.certDir, 'ca.pem'),
    };
    writeFileSync(tls.cert, issued.certPem);
    writeFileSync(tls.key, privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), { mode: 0o600 });
    const session = sessionFile('short-lived');
    expect(await sessionClient(backend.inboundPort, tls, { out: session })).toMatchObject({
      answered: true,
      reused: false,
    });
    const serial = (await backend.view()).identity?.serial;
    const refusedBefore = await refusals('handshake');
    const expiry = issued.notAfter.getTime();
    await eventually(() => expect(Date.now()).toBeGreaterThan(expiry + 1_000), 15_000);
    const resumed = await sessionClient(backend.inboundPort, tls, { in: session });
    expect(resumed).toMatchObject({ answered: false, reused: true });
    expect(await refusals('handshake')).toBe(refusedBefore + 1);
    expect(backend.process.logs).toMatch(
      /refused connection to backend:\d+ from spiffe:\/\/m\/web .*: handshake: resumed session: the peer certificate expired at /,
    );
    // The inbound kept its certificate (and so its ticket keys) meanwhile: the refusal was the check's.
    expect((await backend.view()).identity?.serial).toBe(serial);
  });

  it('refuses a session of a certificate from a CA removed from the bundle (CA switch finished): a full handshake, which fails', async () => {
    const tls = identityOf(web, 'web-of-ca-1');
    const session = sessionFile('ca-1');
    expect(await sessionClient(backend.inboundPort, tls, { out: session })).toMatchObject({
      answered: true,
      reused: false,
    });
    await putMesh('ca-2', [provided(), builtin]);
    await Promise.all([backend, web].map((dp) => dp.waitFor((v) => v.identity?.backend === 'ca-2')));
    await putMesh('ca-2', [builtin]);
    await Promise.all(
      [backend, web].map((dp) => dp.waitFor((v) => v.identity?.supportedBackends.length === 1)),
    );
    const refusedBefore = await refusals('handshake');
    const again = await sessionClient(
      backend.inboundPort,
      { ...tls, caFile: join(backend.certDir, 'ca.pem') },
      { in: session },
    );
    expect(again).toMatchObject({ answered: false, reused: false });
    expect(await refusals('handshake')).toBe(refusedBefore + 1);
    // The sidecars themselves carry on under ca-2, resuming again.
    await eventually(async () => expect((await call(webToBackend)).ok).toBe(true), 15_000);
  });
});
