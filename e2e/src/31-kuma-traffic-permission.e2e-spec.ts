import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import {
  DataplaneProcess,
  eventually,
  freePort,
  startStandaloneControlPlane,
  tempDir,
  type AdminView,
  type StandaloneControlPlane,
  type TempDir,
} from '@meshtls/testing';
import { http } from '../support/cli';
import { call, startHttpApp, type CallResult } from '../support/traffic';

/**
 * Kuma 2.14 MeshTrafficPermissions as a Kuma user writes them, enforced by real sidecars on real
 * connections: `rules` with SPIFFE ID matchers, MeshServiceSubset, Dataplane by labels and sectionName.
 *
 *   web-1 (web, team=core) ──▶ backend-1 inbound "http" (backend, version=v2)
 *          │                             inbound "admin" (backend-admin)
 *          └────────────────▶
 *   api-1 (api) ───────────▶ backend-1 inbound "http"
 */
describe('Kuma MeshTrafficPermission on the data path', () => {
  let dir: TempDir;
  let cp: StandaloneControlPlane;
  const closers: (() => Promise<unknown>)[] = [];
  let backend: DataplaneProcess;
  let web: DataplaneProcess;
  let webToBackend: number;
  let webToAdmin: number;
  let apiToBackend: number;
  const created = new Set<string>();

  const put = async (path: string, doc: object) => {
    const r = await http('PUT', `${cp.url}${path}`, {
      body: JSON.stringify(doc),
      contentType: 'application/json',
    });
    if (r.status !== 200 && r.status !== 201) throw new Error(`PUT ${path}: ${r.status} ${r.text}`);
  };
  const permission = async (name: string, spec: object) => {
    created.add(name);
    await put(`/meshes/m/meshtrafficpermissions/${name}`, {
      type: 'MeshTrafficPermission',
      mesh: 'm',
      name,
      spec,
    });
  };
  const answered = (r: CallResult) => r.ok && r.status === 200;
  /** Waits until each port gets through (true) or is refused (false), as the policies now say. */
  const expectReach = (want: Record<number, boolean>) =>
    eventually(async () => {
      const got: Record<number, boolean> = {};
      for (const port of Object.keys(want).map(Number)) got[port] = answered(await call(port));
      expect(got).toEqual(want);
    }, 10_000);
  /**
   * One mesh mTLS exchange with web's own certificate (read from its cert dir) straight to backend's
   * "http" inbound, sending `serverName` as SNI; resolves with what the application answered ('' when
   * the inbound refused the connection).
   */
  const asWebWithSni = (serverName: string) =>
    new Promise<string>((resolve) => {
      const socket = tlsConnect({
        host: '127.0.0.1',
        port: backend.inboundPort,
        servername: serverName,
        cert: readFileSync(join(web.certDir, 'cert.pem')),
        key: readFileSync(join(web.certDir, 'key.pem')),
        ca: readFileSync(join(web.certDir, 'ca.pem')),
        ALPNProtocols: ['mesh-mtls'],
        checkServerIdentity: () => undefined,
      });
      let answer = '';
      socket.setTimeout(5_000, () => socket.destroy());
      socket.once('secureConnect', () => socket.write('GET /sni HTTP/1.0\r\n\r\n'));
      socket.on('data', (d: Buffer) => (answer += d.toString()));
      socket.on('error', () => undefined);
      socket.on('close', () => resolve(answer));
    });
  const exact = (value: string) => ({ spiffeID: { type: 'Exact', value } });
  const prefix = (value: string) => ({ spiffeID: { type: 'Prefix', value } });

  beforeAll(async () => {
    dir = await tempDir('meshtls-e2e-kuma-mtp-');
    cp = await startStandaloneControlPlane(join(dir.path, 'data'));
    closers.push(() => cp.stop());
    await put('/meshes/m', {
      type: 'Mesh',
      name: 'm',
      mtls: {
        enabledBackend: 'ca-1',
        backends: [
          { name: 'ca-1', type: 'builtin', mode: 'STRICT', dpCert: { rotation: { expiration: '1h' } } },
        ],
      },
    });
    const [backendApp, adminApp, webApp, apiApp] = await Promise.all(
      ['backend', 'backend-admin', 'web', 'api'].map((name) => startHttpApp(name)),
    );
    for (const app of [backendApp, adminApp, webApp, apiApp]) closers.push(() => app.close());
    [webToBackend, webToAdmin, apiToBackend] = [await freePort(), await freePort(), await freePort()];
    const start = async (
      name: string,
      service: string,
      servicePort: number,
      extra: Partial<Parameters<typeof DataplaneProcess.start>[0]>,
    ) => {
      const dp = await DataplaneProcess.start({
        dir: dir.path,
        mesh: 'm',
        name,
        service,
        servicePort,
        token: await cp.dataplaneToken('m', name),
        cpAddresses: [cp.dpAddress],
        caFile: cp.dpCaFile,
        ...extra,
      });
      closers.push(() => dp.stop());
      return dp;
    };
    web = await start('web-1', 'web', webApp.port, {
      tags: { team: 'core' },
      outbounds: [
        { port: webToBackend, service: 'backend' },
        { port: webToAdmin, service: 'backend-admin' },
      ],
    });
    const api = await start('api-1', 'api', apiApp.port, {
      outbounds: [{ port: apiToBackend, service: 'backend' }],
    });
    backend = await start('backend-1', 'backend', backendApp.port, {
      inboundName: 'http',
      tags: { version: 'v2' },
      extraInbounds: [
        { name: 'admin', port: await freePort(), servicePort: adminApp.port, service: 'backend-admin' },
      ],
      labels: { team: 'core' },
    });
    const open = (dp: DataplaneProcess, inbound: number, outbound: number) =>
      dp.waitFor(
        (v: AdminView) =>
          v.ready &&
          Object.keys(v.listeners.inbound).length === inbound &&
          Object.keys(v.listeners.outbound).length === outbound,
      );
    await Promise.all([open(web, 1, 2), open(api, 1, 1), open(backend, 2, 0)]);
    // Nothing allowed yet: deny by default.
    await expectReach({ [webToBackend]: false, [webToAdmin]: false, [apiToBackend]: false });
  }, 60_000);

  afterEach(async () => {
    for (const name of created) await http('DELETE', `${cp.url}/meshes/m/meshtrafficpermissions/${name}`);
    created.clear();
    await expectReach({ [webToBackend]: false, [webToAdmin]: false, [apiToBackend]: false });
  });

  afterAll(async () => {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    await dir?.remove();
  });

  it('rules: an Exact SPIFFE ID lets that client in and no other', async () => {
    await permission('backend-exact-web', {
      targetRef: { kind: 'MeshService', name: 'backend' },
      rules: [{ default: { allow: [exact('spiffe://m/web')] } }],
    });
    await expectReach({ [webToBackend]: true, [apiToBackend]: false, [webToAdmin]: false });
    expect(await call(webToBackend, '/exact')).toEqual({
      ok: true,
      status: 200,
      body: 'backend answers /exact',
    });
    await backend.process.waitFor(
      /refused connection to backend:\d+ from spiffe:\/\/m\/api .*not-allowed: no MeshTrafficPermission allows it/,
      5_000,
    );
  });

  it('rules: a Prefix lets in every client whose SPIFFE ID starts with it', async () => {
    await permission('backend-prefix-w', {
      targetRef: { kind: 'Mesh' },
      rules: [{ default: { allow: [prefix('spiffe://m/w')] } }],
    });
    await expectReach({ [webToBackend]: true, [webToAdmin]: true, [apiToBackend]: false });
    await permission('backend-prefix-w', {
      targetRef: { kind: 'Mesh' },
      rules: [{ default: { allow: [prefix('spiffe://m/a')] } }],
    });
    await expectReach({ [webToBackend]: false, [webToAdmin]: false, [apiToBackend]: true });
  });

  it('rules: a deny beats an allow of another policy, and a from policy is ignored where rules apply', async () => {
    await permission('a-allow-everyone', {
      targetRef: { kind: 'Mesh' },
      rules: [{ default: { allow: [prefix('spiffe://m')] } }],
    });
    await expectReach({ [webToBackend]: true, [webToAdmin]: true, [apiToBackend]: true });
    await permission('b-deny-api', {
      targetRef: { kind: 'MeshService', name: 'backend' },
      rules: [{ default: { deny: [exact('spiffe://m/api')] } }],
    });
    // A from allowing api explicitly changes nothing: rules select the inbound, so they decide.
    await permission('c-from-api', {
      targetRef: { kind: 'MeshService', name: 'backend' },
      from: [{ targetRef: { kind: 'MeshService', name: 'api' }, default: { action: 'Allow' } }],
    });
    await expectReach({ [webToBackend]: true, [webToAdmin]: true, [apiToBackend]: false });
    await backend.process.waitFor(
      /from spiffe:\/\/m\/api .*not-allowed: MeshTrafficPermission "b-deny-api" rules\[0\]\.deny\[0\]: Deny/,
      5_000,
    );
    // allowWithShadowDeny: api is let in again, and each connection logged as one Deny would refuse.
    await permission('b-deny-api', {
      targetRef: { kind: 'MeshService', name: 'backend' },
      rules: [{ default: { allowWithShadowDeny: [exact('spiffe://m/api')] } }],
    });
    await expectReach({ [webToBackend]: true, [apiToBackend]: true });
    await backend.process.waitFor(
      /shadow deny: connection to backend:\d+ from spiffe:\/\/m\/api.* would be denied \(MeshTrafficPermission "b-deny-api" rules\[0\]\.allowWithShadowDeny\[0\]: AllowWithShadowDeny\)/,
      5_000,
    );
  });

  it('rules: a matcher with a SPIFFE ID and an SNI needs both: the name the client sent counts', async () => {
    await permission('backend-web-by-sni', {
      targetRef: { kind: 'Dataplane', name: 'backend-1', sectionName: 'http' },
      rules: [
        {
          default: { allow: [{ ...exact('spiffe://m/web'), sni: { type: 'Exact', value: 'backend.mesh' } }] },
        },
      ],
    });
    await eventually(
      async () => expect(await asWebWithSni('backend.mesh')).toMatch(/backend answers \/sni/),
      10_000,
    );
    expect(await asWebWithSni('other.mesh')).toBe('');
    // web's sidecar sends no SNI: the same identity without the name is refused.
    expect(answered(await call(webToBackend))).toBe(false);
  });

  it('MeshServiceSubset selects servers and clients by service and tags', async () => {
    // Servers: backend with version v2 (backend-1's "http" inbound), not v1.
    await permission('backend-v2-from-web', {
      targetRef: { kind: 'MeshServiceSubset', name: 'backend', tags: { version: 'v2' } },
      from: [{ targetRef: { kind: 'MeshService', name: 'web' }, default: { action: 'Allow' } }],
    });
    await permission('backend-v1-from-api', {
      targetRef: { kind: 'MeshServiceSubset', name: 'backend', tags: { version: 'v1' } },
      from: [{ targetRef: { kind: 'MeshService', name: 'api' }, default: { action: 'Allow' } }],
    });
    await expectReach({ [webToBackend]: true, [apiToBackend]: false, [webToAdmin]: false });
    // Clients: web of team core (its certificate names kuma://team/core), not web of another team.
    await permission('admin-from-core-web', {
      targetRef: { kind: 'MeshService', name: 'backend-admin' },
      from: [
        {
          targetRef: { kind: 'MeshServiceSubset', name: 'web', tags: { team: 'core' } },
          default: { action: 'Allow' },
        },
      ],
    });
    await permission('admin-from-edge-api', {
      targetRef: { kind: 'MeshService', name: 'backend-admin' },
      from: [
        {
          targetRef: { kind: 'MeshServiceSubset', name: 'api', tags: { team: 'edge' } },
          default: { action: 'Allow' },
        },
      ],
    });
    await expectReach({ [webToBackend]: true, [apiToBackend]: false, [webToAdmin]: true });
  });

  it('sectionName selects one inbound of a Dataplane by its name', async () => {
    await permission('backend-admin-inbound', {
      targetRef: { kind: 'Dataplane', name: 'backend-1', sectionName: 'admin' },
      from: [{ targetRef: { kind: 'Mesh' }, default: { action: 'Allow' } }],
    });
    await expectReach({ [webToAdmin]: true, [webToBackend]: false, [apiToBackend]: false });
    await permission('backend-http-inbound', {
      targetRef: { kind: 'Dataplane', name: 'backend-1', sectionName: 'http' },
      rules: [{ default: { allow: [exact('spiffe://m/api')] } }],
    });
    await expectReach({ [webToAdmin]: true, [webToBackend]: false, [apiToBackend]: true });
  });

  it('a Dataplane targetRef by labels selects the Dataplanes holding them', async () => {
    await permission('core-from-web', {
      targetRef: { kind: 'Dataplane', labels: { team: 'core' } },
      from: [{ targetRef: { kind: 'MeshService', name: 'web' }, default: { action: 'Allow' } }],
    });
    await permission('edge-from-api', {
      targetRef: { kind: 'Dataplane', labels: { team: 'edge' } },
      from: [{ targetRef: { kind: 'MeshService', name: 'api' }, default: { action: 'Allow' } }],
    });
    await expectReach({ [webToBackend]: true, [webToAdmin]: true, [apiToBackend]: false });
  });
});
