import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  DataplaneProcess,
  OpensslWorkspace,
  Topology,
  dataplaneToken,
  eventually,
  freePort,
  tempDir,
  type Replica,
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

const CERT_PEM = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;
/** A builtin backend's CA is `O=meshtls, OU=backend {backend}, CN={mesh}`. */
const backendOfName = (dn: string) => /OU ?= ?backend ([\w-]+)/.exec(dn)?.[1];

/**
 * A CA switch gated on the fleet's acknowledgements, with real processes: NATS, Redis, two mesh-api
 * replicas, ca-signer and four real sidecars, web and api calling each other through their outbounds the
 * whole time.
 *
 *   mesh-api-1: api, db        mesh-api-2: web, cache        web ⇄ api (mTLS STRICT, traffic both ways)
 *
 * db is frozen (SIGSTOP) before the new backend is added: the switch waits for it with the old CA still
 * issuing. cache is frozen once it acknowledged the new bundle but before it gets a certificate from the
 * new CA: the removal of the old backend waits for it. Last, a replica is killed in the middle of a switch.
 */
describe('CA switch gated on the fleet (distributed, real sidecars, traffic both ways)', () => {
  let topology: Topology;
  let dir: TempDir;
  let openssl: OpensslWorkspace;
  let r1: Replica;
  let r2: Replica;
  let web: DataplaneProcess;
  let api: DataplaneProcess;
  let db: DataplaneProcess;
  let cache: DataplaneProcess;
  const closers: (() => Promise<unknown>)[] = [];
  /** Sidecars SIGSTOPped by a test: always continued after it. */
  const frozen = new Set<number>();
  const traffic = { stop: false, results: [] as { direction: string; ok: boolean; result: CallResult }[] };
  let loops: Promise<void>[] = [];
  let handshakeBaseline: number;

  const backend = (name: string) => ({
    name,
    type: 'builtin',
    mode: 'STRICT',
    dpCert: { rotation: { expiration: '1h' } },
  });
  const putMesh = async (via: Replica, enabledBackend: string, backends: string[]) => {
    const r = await http('PUT', `${via.url}/meshes/m`, {
      body: JSON.stringify({
        type: 'Mesh',
        name: 'm',
        mtls: { enabledBackend, backends: backends.map(backend) },
      }),
      contentType: 'application/json',
      token: topology.adminToken,
    });
    if (r.status !== 200 && r.status !== 201) throw new Error(`PUT /meshes/m: ${r.status} ${r.text}`);
    return ((r.json?.warnings ?? []) as string[]).join('\n');
  };
  interface CaSwitchView {
    from?: string;
    to: string;
    state: string;
    acknowledged: number;
    total: number;
    waitingFor: string[];
    startedAt: string;
    stateSince: string;
  }
  const caSwitch = async (via: Replica): Promise<CaSwitchView | undefined> => {
    const r = await http('GET', `${via.url}/mesh-insights/m`, { token: topology.adminToken });
    if (r.status !== 200) throw new Error(`GET /mesh-insights/m: ${r.status} ${r.text}`);
    return r.json.mTLS?.caSwitch;
  };
  const freeze = (dp: DataplaneProcess) => {
    process.kill(dp.process.pid, 'SIGSTOP');
    frozen.add(dp.process.pid);
  };
  const thaw = (dp: DataplaneProcess) => {
    process.kill(dp.process.pid, 'SIGCONT');
    frozen.delete(dp.process.pid);
  };
  const thawAll = () => {
    for (const pid of frozen) {
      try {
        process.kill(pid, 'SIGCONT');
      } catch {
        // already gone
      }
    }
    frozen.clear();
  };

  /**
   * The backend whose CA issued the sidecar's certificate, read from its cert dir: openssl names the
   * issuer, openssl verifies the certificate against that CA alone (as found in the sidecar's bundle), and
   * Node checks the signature with the CA's key.
   */
  const certBackend = async (dp: DataplaneProcess): Promise<string> =>
    eventually(() => {
      // The files may be in the middle of a rewrite: read them until they agree.
      const leafPem = readFileSync(join(dp.certDir, 'cert.pem'), 'utf8').match(CERT_PEM)![0];
      const leafFile = openssl.write(`${dp.process.pid}-leaf.pem`, leafPem);
      const named = backendOfName(openssl.run('x509', '-in', leafFile, '-noout', '-issuer'));
      const ca = bundleOf(dp).find((c) => backendOfName(c.cert.subject.replace(/\n/g, ', ')) === named);
      if (!named || !ca) throw new Error(`${dp.process.pid}: no CA of "${named}" in its bundle`);
      const leaf = new X509Certificate(leafPem);
      expect(leaf.checkIssued(ca.cert) && leaf.verify(ca.cert.publicKey)).toBe(true);
      const caFile = openssl.write(`${dp.process.pid}-issuer.pem`, ca.pem);
      expect(openssl.run('verify', '-CAfile', caFile, leafFile)).toContain(': OK');
      return named;
    }, 10_000);
  /** The CAs of the sidecar's trust bundle (its cert dir's ca.pem). */
  const bundleOf = (dp: DataplaneProcess) =>
    (readFileSync(join(dp.certDir, 'ca.pem'), 'utf8').match(CERT_PEM) ?? []).map((pem) => ({
      pem,
      cert: new X509Certificate(pem),
    }));
  const bundleBackends = (dp: DataplaneProcess) =>
    bundleOf(dp)
      .map((c) => backendOfName(c.cert.subject.replace(/\n/g, ', ')))
      .sort();
  const certBackends = async (dps: DataplaneProcess[]) => Promise.all(dps.map(certBackend));
  /** Holds for `ms` (a few of the replicas' 5 s report intervals), checked every second. */
  const holds = async (ms: number, check: () => Promise<void>) => {
    const before = answeredCalls();
    const until = Date.now() + ms;
    while (Date.now() < until) {
      await check();
      await new Promise((r) => setTimeout(r, 1_000));
    }
    await check();
    // Traffic went on both ways meanwhile (whether any failed is checked at the end).
    await eventually(() => {
      const now = answeredCalls();
      expect(now['web-to-api']).toBeGreaterThan(before['web-to-api']);
      expect(now['api-to-web']).toBeGreaterThan(before['api-to-web']);
    }, 20_000);
  };
  const answeredCalls = () => ({
    'web-to-api': traffic.results.filter((r) => r.ok && r.direction === 'web-to-api').length,
    'api-to-web': traffic.results.filter((r) => r.ok && r.direction === 'api-to-web').length,
  });
  /** Handshakes refused by the live sidecars' inbounds, and outbound connections that failed. */
  const failedHandshakes = async () => {
    let sum = 0;
    for (const dp of [web, api]) {
      const metrics = await dp.metrics();
      sum += metricSum(metrics, 'dataplane_inbound_refused_connections_total', 'reason="handshake"');
      sum += metricSum(metrics, 'dataplane_outbound_errors_total');
    }
    return sum;
  };
  /** `mesh_ca_switch_transitions_total{mesh="m"}` of a replica, by state. */
  const transitions = async (replica: Replica) => {
    const text = await (await fetch(`${replica.url}/metrics`)).text();
    const byState: Record<string, number> = {};
    for (const state of ['waiting-for-bundle', 'reissuing', 'waiting-for-removal', 'done']) {
      byState[state] = text
        .split('\n')
        .filter((l) => l.startsWith('mesh_ca_switch_transitions_total{') && l.includes('mesh="m"'))
        .filter((l) => l.includes(`state="${state}"`))
        .reduce((sum, l) => sum + Number(l.split(' ').at(-1)), 0);
    }
    return byState;
  };

  beforeAll(async () => {
    [topology, dir] = await Promise.all([
      Topology.start(
        { 'mesh-api': 2, 'ca-signer': 1 },
        {
          // A frozen sidecar must stay online (counted, waited for) for as long as a test holds it: the
          // stream is not ended for a late acknowledgement, an unanswered CSR request or a missing ping.
          MESH_CA_SWITCH_ACK_TIMEOUT: '10m',
          MESH_DP_CSR_TIMEOUT_MS: '600000',
          MESH_DP_KEEPALIVE_TIME: '10m',
        },
      ),
      tempDir('meshtls-e2e-ca-switch-'),
    ]);
    openssl = new OpensslWorkspace();
    [r1, r2] = topology.of('mesh-api') as [Replica, Replica];
    await putMesh(r1, 'ca-1', ['ca-1']);
    const allow = await http('PUT', `${r1.url}/meshes/m/meshtrafficpermissions/allow-all`, {
      body: JSON.stringify(allowAllPermission('m')),
      contentType: 'application/json',
      token: topology.adminToken,
    });
    expect(allow.status).toBe(201);
    const apps = await Promise.all(['web', 'api', 'db', 'cache'].map((name) => startHttpApp(name)));
    for (const app of apps) closers.push(() => app.close());
    const [webToApi, apiToWeb] = [await freePort(), await freePort()];
    const start = async (
      name: string,
      service: string,
      servicePort: number,
      // The first address is the replica it connects to; the other one after that replica is gone.
      replicas: Replica[],
      outbounds: { port: number; service: string }[] = [],
    ) => {
      const dp = await DataplaneProcess.start({
        dir: dir.path,
        mesh: 'm',
        name,
        service,
        servicePort,
        outbounds,
        token: await dataplaneToken(r1.url, 'm', name, topology.adminToken),
        cpAddresses: replicas.map((r) => r.dpAddress!),
        caFile: topology.dpCaFile,
      });
      closers.push(() => dp.stop());
      return dp;
    };
    [web, api, db, cache] = await Promise.all([
      start('web-1', 'web', apps[0]!.port, [r2, r1], [{ port: webToApi, service: 'api' }]),
      start('api-1', 'api', apps[1]!.port, [r1, r2], [{ port: apiToWeb, service: 'web' }]),
      start('db-1', 'db', apps[2]!.port, [r1, r2]),
      start('cache-1', 'cache', apps[3]!.port, [r2, r1]),
    ]);
    await Promise.all([web, api, db, cache].map((dp) => dp.waitFor((v) => v.ready, 30_000)));
    expect((await web.view()).controlPlane).toBe(r2.dpAddress);
    expect((await db.view()).controlPlane).toBe(r1.dpAddress);
    const answered = (r: CallResult) => r.ok && r.status === 200;
    await eventually(async () => {
      expect(answered(await call(webToApi))).toBe(true);
      expect(answered(await call(apiToWeb))).toBe(true);
    }, 20_000);
    handshakeBaseline = await failedHandshakes();
    const loop = async (direction: string, port: number, expected: string) => {
      while (!traffic.stop) {
        const result = await call(port, `/${direction}`);
        // Answered by the application on the other side, through both sidecars.
        const ok = answered(result) && result.ok && result.body === `${expected} answers /${direction}`;
        traffic.results.push({ direction, ok, result });
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    loops = [loop('web-to-api', webToApi, 'api'), loop('api-to-web', apiToWeb, 'web')];
  }, 120_000);

  afterEach(thawAll);

  afterAll(async () => {
    traffic.stop = true;
    await Promise.all(loops);
    thawAll();
    for (const close of closers.reverse()) await close().catch(() => undefined);
    await topology?.stop();
    await dir?.remove();
    openssl?.close();
  });

  it('holds issuance on ca-1 while a frozen sidecar has not acknowledged a bundle with ca-2', async () => {
    expect(await certBackends([web, api, db, cache])).toEqual(['ca-1', 'ca-1', 'ca-1', 'ca-1']);
    freeze(db);
    expect(await putMesh(r1, 'ca-1', ['ca-1', 'ca-2'])).toBe('');
    // The live sidecars trust both CAs.
    await Promise.all(
      [web, api, cache].map((dp) =>
        dp.waitFor((v) => v.identity?.supportedBackends.includes('ca-2') === true, 20_000),
      ),
    );
    const warnings = await putMesh(r2, 'ca-2', ['ca-1', 'ca-2']);
    expect(warnings).toContain('mtls.enabledBackend: the switch from "ca-1" to "ca-2" is pending');
    await eventually(
      async () =>
        expect(await caSwitch(r2)).toMatchObject({
          from: 'ca-1',
          to: 'ca-2',
          state: 'waiting-for-bundle',
          acknowledged: 3,
          total: 4,
          waitingFor: ['db-1'],
        }),
      20_000,
    );
    // For a few report intervals nothing moves: every certificate still comes from ca-1.
    await holds(12_000, async () => {
      expect(await caSwitch(r1)).toMatchObject({ state: 'waiting-for-bundle', waitingFor: ['db-1'] });
      expect(await certBackends([web, api, db, cache])).toEqual(['ca-1', 'ca-1', 'ca-1', 'ca-1']);
    });
    expect(bundleBackends(web)).toEqual(['ca-1', 'ca-2']);
    expect(bundleBackends(db)).toEqual(['ca-1']); // it never read the new bundle
  }, 120_000);

  it('once the frozen sidecar continues, issuance moves to ca-2; a removal of ca-1 waits for the last ca-1 certificate', async () => {
    // cache has acknowledged the bundle with ca-2 (it is not waited for): frozen now, it keeps its
    // ca-1 certificate through the reissue.
    freeze(cache);
    thaw(db);
    await eventually(
      async () =>
        expect(await caSwitch(r1)).toMatchObject({
          state: 'reissuing',
          acknowledged: 3,
          total: 4,
          waitingFor: ['cache-1'],
        }),
      30_000,
    );
    expect(await certBackends([web, api, db])).toEqual(['ca-2', 'ca-2', 'ca-2']);
    expect(await certBackend(cache)).toBe('ca-1');

    const warnings = await putMesh(r2, 'ca-2', ['ca-2']);
    expect(warnings).toContain('mtls.backends: the CA of "ca-1" stays in the trust bundle until');
    await holds(12_000, async () => {
      const status = await caSwitch(r2);
      expect(['reissuing', 'waiting-for-removal']).toContain(status?.state);
      expect(status?.waitingFor).toEqual(['cache-1']);
      // ca-1 is still trusted everywhere: cache's certificate is still accepted by its peers.
      for (const dp of [web, api, db]) expect(bundleBackends(dp)).toEqual(['ca-1', 'ca-2']);
      expect(await certBackend(cache)).toBe('ca-1');
    });
    // And accepted: a mesh mTLS exchange with cache's ca-1 certificate (from its cert dir) gets through
    // web's and api's inbounds, which themselves show certificates from ca-2.
    const cacheTls = {
      cert: readFileSync(join(cache.certDir, 'cert.pem'), 'utf8'),
      key: readFileSync(join(cache.certDir, 'key.pem'), 'utf8'),
      ca: readFileSync(join(cache.certDir, 'ca.pem'), 'utf8'),
    };
    for (const [dp, name] of [
      [web, 'web'],
      [api, 'api'],
    ] as const) {
      const { peer, answer } = await meshExchange(dp.inboundPort, cacheTls);
      expect(backendOfName(peer.issuer.replace(/\n/g, ', '))).toBe('ca-2');
      expect(answer).toContain(`${name} answers /via-node-tls`);
    }

    thaw(cache);
    await eventually(
      async () => expect(await caSwitch(r1)).toMatchObject({ state: 'done', waitingFor: [] }),
      30_000,
    );
    expect(await certBackends([web, api, db, cache])).toEqual(['ca-2', 'ca-2', 'ca-2', 'ca-2']);
    await eventually(() => {
      for (const dp of [web, api, db, cache]) expect(bundleBackends(dp)).toEqual(['ca-2']);
    }, 20_000);
  }, 120_000);

  it('completes a switch once, on the surviving replica, when a replica is killed in the middle of it', async () => {
    const before = await transitions(r1);
    freeze(db);
    expect(await putMesh(r1, 'ca-2', ['ca-2', 'ca-3'])).toBe('');
    await Promise.all(
      [web, api, cache].map((dp) =>
        dp.waitFor((v) => v.identity?.supportedBackends.includes('ca-3') === true, 20_000),
      ),
    );
    expect(await putMesh(r2, 'ca-3', ['ca-2', 'ca-3'])).toContain(
      'the switch from "ca-2" to "ca-3" is pending',
    );
    const pending = await eventually(async () => {
      const status = await caSwitch(r1);
      expect(status).toMatchObject({
        from: 'ca-2',
        to: 'ca-3',
        state: 'waiting-for-bundle',
        waitingFor: ['db-1'],
      });
      return status!;
    }, 20_000);

    // mesh-api-2 holds web and cache: it dies without a word; they reconnect to mesh-api-1.
    process.kill(r2.process.pid, 'SIGKILL');
    await Promise.all(
      [web, cache].map((dp) => dp.waitFor((v) => v.controlPlane === r1.dpAddress && v.ready, 30_000)),
    );
    // Not lost: the same switch still waits for db (once the reconnected ones acknowledged again).
    await eventually(
      async () =>
        expect(await caSwitch(r1)).toMatchObject({
          state: 'waiting-for-bundle',
          startedAt: pending.startedAt,
          waitingFor: ['db-1'],
        }),
      20_000,
    );
    expect(await certBackends([web, api, db, cache])).toEqual(['ca-2', 'ca-2', 'ca-2', 'ca-2']);

    thaw(db);
    // Once the dead replica's last report is stale (15 s), the survivor alone decides.
    const done = await eventually(async () => {
      const status = await caSwitch(r1);
      expect(status).toMatchObject({ state: 'done', waitingFor: [] });
      return status!;
    }, 60_000);
    expect(done.startedAt).toBe(pending.startedAt);
    expect(await certBackends([web, api, db, cache])).toEqual(['ca-3', 'ca-3', 'ca-3', 'ca-3']);
    // Each state was reached once, and by the survivor (the dead replica made no move of this switch).
    const after = await transitions(r1);
    expect({
      reissuing: after['reissuing']! - before['reissuing']!,
      done: after['done']! - before['done']!,
      'waiting-for-bundle': after['waiting-for-bundle']! - before['waiting-for-bundle']!,
    }).toEqual({ reissuing: 1, done: 1, 'waiting-for-bundle': 0 });
  }, 120_000);

  it('failed no request and no handshake between the live sidecars over every rotation', async () => {
    traffic.stop = true;
    await Promise.all(loops);
    const failed = traffic.results.filter((r) => !r.ok);
    expect(failed).toEqual([]);
    for (const direction of ['web-to-api', 'api-to-web'])
      expect(traffic.results.filter((r) => r.direction === direction).length).toBeGreaterThan(10);
    expect(await failedHandshakes()).toBe(handshakeBaseline);
  });
});
