import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { Client, Metadata, credentials } from '@grpc/grpc-js';
import { parse, stringify } from 'yaml';
import {
  dataplaneStreamMethod as m,
  type DataplaneClientMessage,
  type DataplaneServerMessage,
} from '@meshtls/contracts';
import { createCsr } from '@meshtls/pki';
import { RedisLeaseStore } from '@meshtls/store/adapters';
import {
  DataplaneProcess,
  REPO_ROOT,
  Topology,
  dataplaneToken,
  eventually,
  startPrometheus,
  tempDir,
  type PrometheusAlertingRule,
  type PrometheusHandle,
  type Role,
  type TempDir,
} from '@meshtls/testing';
import { systemClock } from '@meshtls/util';
import { http } from '../support/cli';

const deploy = (...path: string[]) => join(REPO_ROOT, 'deploy', ...path);

interface ScrapeConfig {
  job_name: string;
  static_configs?: { targets: string[] }[];
}

/** Expressions on the CA switch's metrics: series exist only while a switch is pending or after a stream ended. */
const isCaSwitchExpression = (expr: string): boolean => expr.includes('mesh_ca_switch_');

/** Every PromQL expression of the shipped dashboard. */
function dashboardExpressions(): string[] {
  const dashboard = JSON.parse(readFileSync(deploy('grafana', 'dashboards', 'meshtls.json'), 'utf8')) as {
    panels: { targets: { expr: string }[] }[];
  };
  return dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr));
}

/** Every expression of the shipped alert rules. */
function alertExpressions(): string[] {
  const rules = parse(readFileSync(deploy('prometheus', 'alerts.yml'), 'utf8')) as {
    groups: { rules: { expr: string }[] }[];
  };
  return rules.groups.flatMap((g) => g.rules.map((r) => r.expr));
}

/** How long an alert's condition must hold before it fires, in the test copy of the rules. */
const TEST_ALERT_FOR = '2s';

/**
 * The shipped alert rules with every `for:` shortened to {@link TEST_ALERT_FOR}, so that an alert fires
 * seconds after its condition holds rather than minutes; expressions, labels and annotations unchanged.
 */
function alertRulesWithShortFor(): string {
  const rules = parse(readFileSync(deploy('prometheus', 'alerts.yml'), 'utf8')) as {
    groups: { rules: { for?: string }[] }[];
  };
  for (const rule of rules.groups.flatMap((g) => g.rules)) if (rule.for) rule.for = TEST_ALERT_FOR;
  return stringify(rules);
}

/**
 * A real Prometheus scrapes every process of the distributed control plane and a sidecar with the
 * shipped configuration (targets pointed at this machine's ports), and every expression of the
 * dashboard and the alert rules is asked of it. The alert rules are the shipped ones with a short `for:`,
 * and the leaf-expiry, overdue-rotation and stuck-CA-switch alerts are made to fire.
 */
describe('observability: metrics, Prometheus, dashboard and alerts', () => {
  let topology: Topology;
  let dir: TempDir;
  let prometheus: PrometheusHandle;
  let dp: DataplaneProcess;
  /** A dataplane of mesh "long", whose certificates are valid for a day. */
  let longLived: DataplaneProcess;
  let admin: (method: string, path: string, body?: object) => ReturnType<typeof http>;

  beforeAll(async () => {
    [topology, dir] = await Promise.all([
      Topology.start(
        { 'mesh-api': 1, 'ca-signer': 1, 'rotation-scheduler': 1, 'stats-collector': 1 },
        {
          MESH_ROTATION_INTERVAL_MS: '200',
          // A switch counts as stuck after a second; a dataplane that does not acknowledge has a minute
          // before its stream is ended: time to see the switch pending and its alert fire first.
          MESH_CA_SWITCH_ALERT_AFTER: '1s',
          MESH_CA_SWITCH_ACK_TIMEOUT: '60s',
          // Each process compacts its heap once after start-up: within a second here.
          MESH_HEAP_TRIM_INTERVAL: '1s',
        },
      ),
      tempDir('meshtls-e2e-obs-'),
    ]);
    const [api] = topology.of('mesh-api');
    admin = (method: string, path: string, body?: object) =>
      http(method, `${api!.url}${path}`, {
        ...(body === undefined ? {} : { body: JSON.stringify(body), contentType: 'application/json' }),
        token: topology.adminToken,
      });
    const mesh = (name: string, expiration: string) =>
      admin('PUT', `/meshes/${name}`, {
        type: 'Mesh',
        name,
        mtls: {
          enabledBackend: 'ca-1',
          backends: [{ name: 'ca-1', type: 'builtin', dpCert: { rotation: { expiration } } }],
        },
      });
    expect((await mesh('m', '5s')).status).toBe(201);
    expect((await mesh('long', '1d')).status).toBe(201);
    expect((await mesh('rot', '1d')).status).toBe(201);
    const sidecar = async (meshName: string, name: string, service: string) =>
      DataplaneProcess.start({
        dir: dir.path,
        mesh: meshName,
        name,
        service,
        token: await dataplaneToken(api!.url, meshName, name, topology.adminToken),
        cpAddresses: [api!.dpAddress!],
        caFile: topology.dpCaFile,
      });
    [dp, longLived] = await Promise.all([sidecar('m', 'web-1', 'web'), sidecar('long', 'api-1', 'api')]);
    await Promise.all([
      dp.waitFor((v) => v.ready && Object.keys(v.listeners.inbound).length === 1),
      longLived.waitFor((v) => v.ready),
    ]);
    // One refused connection: plaintext on a STRICT inbound.
    await new Promise<void>((resolve) => {
      const socket = connect(dp.inboundPort, '127.0.0.1', () => socket.write('GET / HTTP/1.0\r\n\r\n'));
      socket.on('error', () => resolve());
      socket.on('close', () => resolve());
    });
    // The shipped configuration, its targets pointed at this topology, scraped every second.
    const config = parse(readFileSync(deploy('prometheus', 'prometheus.yml'), 'utf8')) as {
      global: Record<string, string>;
      scrape_configs: ScrapeConfig[];
    };
    config.global.scrape_interval = '1s';
    config.global.evaluation_interval = '1s';
    for (const job of config.scrape_configs) {
      if (!job.static_configs) continue;
      const replicas = topology.of(job.job_name as Role);
      expect(replicas.length).toBeGreaterThan(0); // every shipped job names a role of the topology
      job.static_configs = [{ targets: replicas.map((r) => new URL(r.url).host) }];
    }
    prometheus = await startPrometheus({
      'prometheus.yml': stringify(config),
      'alerts.yml': alertRulesWithShortFor(),
      // file_sd: the sidecar, where the shipped configuration looks for sidecars.
      'dataplanes/web.json': JSON.stringify([
        { targets: [new URL(dp.adminUrl).host], labels: { mesh: 'm' } },
      ]),
    });
  }, 60_000);

  afterAll(async () => {
    await prometheus?.stop();
    await Promise.all([dp?.stop(), longLived?.stop()]);
    await topology?.stop();
    await dir?.remove();
  });

  it('ships a configuration and rules promtool accepts', () => {
    expect(
      execFileSync('promtool', ['check', 'config', deploy('prometheus', 'prometheus.yml')]).toString(),
    ).toMatch(/SUCCESS/);
    expect(
      execFileSync('promtool', ['check', 'rules', deploy('prometheus', 'alerts.yml')]).toString(),
    ).toMatch(/SUCCESS: 7 rules found/);
    expect(
      execFileSync('promtool', ['test', 'rules', deploy('prometheus', 'alerts.test.yml')]).toString(),
    ).toMatch(/SUCCESS/);
  });

  it('scrapes every process and the sidecar', async () => {
    await eventually(async () => {
      const up = await prometheus.query('up');
      const jobs = (up.data?.result as { metric: { job: string }; value: [number, string] }[]).map(
        (r) => `${r.metric.job}=${r.value[1]}`,
      );
      expect(jobs.sort()).toEqual([
        'ca-signer=1',
        'dataplanes=1',
        'mesh-api=1',
        'rotation-scheduler=1',
        'stats-collector=1',
      ]);
    }, 30_000);
  });

  it('has every process compact its heap once after start-up, and count it with the pause', async () => {
    await eventually(async () => {
      const trims = await prometheus.query('max by (job) (mesh_heap_trims_total)');
      const byJob = (trims.data?.result as { metric: { job: string }; value: [number, string] }[]).map(
        (r) => `${r.metric.job}:${Number(r.value[1]) >= 1}`,
      );
      expect(byJob.sort()).toEqual([
        'ca-signer:true',
        'mesh-api:true',
        'rotation-scheduler:true',
        'stats-collector:true',
      ]);
    }, 30_000);
    const pauses = await prometheus.query('mesh_heap_trim_last_pause_seconds > 0');
    expect(pauses.data?.result).toHaveLength(4);
  });

  it('answers every dashboard expression with data (the CA switch ones: see the stuck switch below)', async () => {
    const expressions = dashboardExpressions();
    expect(expressions.length).toBeGreaterThanOrEqual(13);
    for (const expr of expressions.filter((e) => !isCaSwitchExpression(e))) {
      await eventually(async () => {
        const answer = await prometheus.query(expr);
        expect({ expr, status: answer.status, error: answer.error }).toEqual({
          expr,
          status: 'success',
          error: undefined,
        });
        expect({ expr, empty: answer.data!.result.length === 0 }).toEqual({ expr, empty: false });
      }, 30_000);
    }
  });

  it('parses every alert expression, and loads the rules', async () => {
    for (const expr of alertExpressions()) {
      const answer = await prometheus.query(expr);
      expect({ expr, status: answer.status, error: answer.error }).toEqual({
        expr,
        status: 'success',
        error: undefined,
      });
    }
    const loaded = await prometheus.alertingRules();
    expect(loaded).toHaveLength(7);
    expect(loaded.every((r) => r.health !== 'err')).toBe(true);
  });

  /** The alerting rule `name` once its group has been evaluated after `since` (ms since the epoch). */
  async function evaluatedAfter(name: string, since: number): Promise<PrometheusAlertingRule> {
    let rule: PrometheusAlertingRule | undefined;
    await eventually(async () => {
      rule = (await prometheus.alertingRules()).find((r) => r.name === name);
      expect(Date.parse(rule?.lastEvaluation ?? '')).toBeGreaterThan(since);
    }, 30_000);
    return rule!;
  }

  const firing = async (alertname: string) =>
    (await prometheus.alerts()).filter((a) => a.labels.alertname === alertname && a.state === 'firing');

  it('fires the leaf-expiry alert for the mesh of 5-second certificates, not for the one of 1-day certificates', async () => {
    const name = 'MeshLeafCertificateExpiringBeforeRotation';
    await eventually(async () => {
      const alerts = await firing(name);
      expect(alerts.map((a) => a.labels)).toEqual([{ alertname: name, mesh: 'm', severity: 'critical' }]);
      expect(Number(alerts[0]!.value)).toBeLessThan(3600); // seconds left: 5 s certificates
    }, 45_000);
    // Mesh "long": its earliest expiry (a day away) is in Prometheus, and the rule was evaluated on it.
    await eventually(async () => {
      const answer = await prometheus.query(
        'mesh_dataplane_certificate_earliest_expiration_timestamp_seconds{mesh="long"} - time()',
      );
      const [left] = answer.data!.result as { value: [number, string] }[];
      expect(Number(left?.value[1])).toBeGreaterThan(23 * 3600);
    }, 30_000);
    await evaluatedAfter(name, Date.now());
    const active = (await prometheus.alerts()).filter((a) => a.labels.alertname === name);
    expect(active.map((a) => `${a.labels.mesh} ${a.state}`)).toEqual(['m firing']);
  }, 90_000);

  it('fires the overdue-rotation alert for a certificate 6 minutes past its rotation point', async () => {
    const name = 'MeshRotationsOverdue';
    // Before: web-1 is rotated every 4 s (its lease falls due and is rotated), nothing is overdue, and
    // the rule, evaluated on that, is inactive.
    await dp.waitFor((v) => v.identity?.reason === 'rotation');
    await eventually(async () => {
      const answer = await prometheus.query('mesh_rotation_leases_overdue');
      expect((answer.data!.result as { value: [number, string] }[]).map((r) => r.value[1])).toEqual(['0']);
    }, 30_000);
    expect((await evaluatedAfter(name, Date.now())).state).toBe('inactive');

    // A rotation overdue by 6 minutes cannot come about in a test's time (the overdue mark is 5 minutes
    // past rotateAt, so it takes certificates of more than 25 minutes), so its lease is put in the
    // control plane's Redis (under its default MESH_REDIS_PREFIX): a 1-hour certificate issued 54 minutes ago (rotateAt 6 minutes ago, valid 6 more),
    // its rotation claimed by a scheduler that died. The running scheduler cannot claim it and leaves it
    // due; its overdue gauge, scraped by Prometheus, is what the rule watches.
    const leases = await RedisLeaseStore.connect({
      url: topology.redis.url,
      keyPrefix: 'mesh:',
      clock: systemClock,
    });
    const now = Date.now();
    const minutesFromNow = (m: number) => new Date(now + m * 60_000).toISOString();
    const lease = {
      mesh: 'm',
      dataplane: 'stuck-1',
      serial: '5ca1ab1e',
      notBefore: minutesFromNow(-54),
      rotateAt: minutesFromNow(-6),
      notAfter: minutesFromNow(6),
      backend: 'ca-1',
      supportedBackends: ['ca-1'],
      controlPlaneInstance: 'mesh-api-9@0',
      session: 'gone',
    };
    try {
      expect(await leases.claim('m', 'stuck-1', lease.serial, 'rotation-scheduler-9', 10 * 60_000)).toBe(
        true,
      );
      await leases.put(lease);
      await eventually(async () => {
        const alerts = await firing(name);
        expect(alerts.map((a) => [a.labels, a.annotations.summary])).toEqual([
          [
            { alertname: name, severity: 'critical' },
            '1 certificates are more than 5 minutes past their rotation point',
          ],
        ]);
      }, 45_000);
    } finally {
      await leases.delete('m', 'stuck-1');
      await leases.close();
    }
  }, 90_000);
  /**
   * A dataplane of mesh "rot" on a raw stream: it acknowledges its certificate and answers keepalives,
   * but never acknowledges a trust bundle sent alone (as a sidecar from before bundle acknowledgements).
   * A frozen sidecar would not do: mesh-api's keepalive drops its connection within 30 s, and an offline
   * dataplane does not hold a switch.
   */
  async function bundleIgnoringDataplane(name: string) {
    const [api] = topology.of('mesh-api');
    const client = new Client(api!.dpAddress!, credentials.createSsl(readFileSync(topology.dpCaFile)));
    const call = client.makeBidiStreamRequest<DataplaneClientMessage, DataplaneServerMessage>(
      m.path,
      m.requestSerialize,
      m.responseDeserialize,
      new Metadata(),
    );
    const messages: DataplaneServerMessage[] = [];
    call.on('data', (message: DataplaneServerMessage) => {
      messages.push(message);
      if (message.type === 'identity') call.write({ type: 'ack', serial: message.serial });
    });
    const ended = new Promise<{ code?: number; details?: string }>((resolve) => {
      call.on('error', (e: Error & { code?: number; details?: string }) =>
        resolve({ code: e.code, details: e.details }),
      );
      call.on('end', () => resolve({}));
    });
    const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    call.write({
      type: 'hello',
      mesh: 'rot',
      name,
      token: await dataplaneToken(api!.url, 'rot', name, topology.adminToken),
      session: randomUUID(),
      csrPem: createCsr({ privateKey: pair.privateKey, publicKey: pair.publicKey }),
      requestId: 'r-1',
      dataplane: {
        networking: { address: '127.0.0.1', inbound: [{ port: 18090, tags: { 'kuma.io/service': 'rot' } }] },
      },
    });
    return {
      messages,
      ended,
      close: () => {
        call.cancel();
        client.close();
      },
    };
  }

  it('shows a CA switch held by a dataplane that does not acknowledge, fires MeshCaSwitchStuck, then ends its stream', async () => {
    const name = 'MeshCaSwitchStuck';
    const caSwitchExpressions = dashboardExpressions().filter(isCaSwitchExpression);
    expect(caSwitchExpressions).toEqual([
      'max by (mesh, state) (mesh_ca_switch_pending_seconds)',
      'max by (mesh) (mesh_ca_switch_stuck)',
      'sum by (mesh) (mesh_ca_switch_streams_ended_total)',
    ]);
    const [pendingExpr, stuckExpr, endedExpr] = caSwitchExpressions as [string, string, string];
    const series = async (expr: string) =>
      (
        (await prometheus.query(expr)).data!.result as {
          metric: Record<string, string>;
          value: [number, string];
        }[]
      ).map((r) => ({ ...r.metric, value: r.value[1] }));
    const rot = await bundleIgnoringDataplane('rot-1');
    try {
      await eventually(() => expect(rot.messages.map((x) => x.type)).toContain('identity'), 30_000);
      const put = await admin('PUT', '/meshes/rot', {
        type: 'Mesh',
        name: 'rot',
        mtls: {
          enabledBackend: 'ca-2',
          backends: [
            { name: 'ca-1', type: 'builtin', dpCert: { rotation: { expiration: '1d' } } },
            { name: 'ca-2', type: 'builtin', dpCert: { rotation: { expiration: '1d' } } },
          ],
        },
      });
      expect(put.status).toBe(200);
      expect(put.json.warnings).toEqual([
        expect.stringMatching(/^mtls\.enabledBackend: the switch from "ca-1" to "ca-2" is pending: /),
      ]);
      // rot-1 is sent the bundle with both CAs and does not acknowledge it: the switch waits, pending
      // and (after 1 s) stuck.
      await eventually(() => expect(rot.messages.map((x) => x.type)).toContain('trust'), 30_000);
      await eventually(async () => {
        const pending = await series(pendingExpr);
        expect(pending.map(({ value: _, ...labels }) => labels)).toEqual([
          { mesh: 'rot', state: 'waiting-for-bundle' },
        ]);
        expect(Number(pending[0]!.value)).toBeGreaterThan(0);
        expect(await series(stuckExpr)).toEqual([{ mesh: 'rot', value: '1' }]);
      }, 30_000);
      await eventually(async () => {
        const alerts = await firing(name);
        expect(alerts.map((a) => [a.labels, a.annotations.summary])).toEqual([
          [
            { alertname: name, mesh: 'rot', severity: 'warning' },
            'The CA switch of mesh rot has been pending longer than MESH_CA_SWITCH_ALERT_AFTER',
          ],
        ]);
      }, 30_000);
      const insight = await admin('GET', '/mesh-insights/rot');
      expect(insight.json.mTLS.caSwitch).toMatchObject({
        from: 'ca-1',
        to: 'ca-2',
        state: 'waiting-for-bundle',
        acknowledged: 0,
        total: 1,
        waitingFor: ['rot-1'],
      });
      // After MESH_CA_SWITCH_ACK_TIMEOUT its stream is ended and counted; offline, it no longer holds
      // the switch, which completes.
      expect(await rot.ended).toMatchObject({
        details: expect.stringContaining('the CA switch of mesh "rot" waited'),
      });
      await eventually(async () => {
        expect(await series(endedExpr)).toEqual([{ mesh: 'rot', value: '1' }]);
      }, 30_000);
      await eventually(async () => {
        const done = await admin('GET', '/mesh-insights/rot');
        expect(done.json.mTLS.caSwitch).toMatchObject({ from: 'ca-1', to: 'ca-2', state: 'done' });
      }, 30_000);
    } finally {
      rot.close();
    }
  }, 240_000);
});
