import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
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
 * and the leaf-expiry and overdue-rotation alerts are made to fire.
 */
describe('observability: metrics, Prometheus, dashboard and alerts', () => {
  let topology: Topology;
  let dir: TempDir;
  let prometheus: PrometheusHandle;
  let dp: DataplaneProcess;
  /** A dataplane of mesh "long", whose certificates are valid for a day. */
  let longLived: DataplaneProcess;

  beforeAll(async () => {
    [topology, dir] = await Promise.all([
      Topology.start(
        { 'mesh-api': 1, 'ca-signer': 1, 'rotation-scheduler': 1, 'stats-collector': 1 },
        { MESH_ROTATION_INTERVAL_MS: '200' },
      ),
      tempDir('meshtls-e2e-obs-'),
    ]);
    const [api] = topology.of('mesh-api');
    const admin = (method: string, path: string, body: object) =>
      http(method, `${api!.url}${path}`, {
        body: JSON.stringify(body),
        contentType: 'application/json',
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
    ).toMatch(/SUCCESS: 6 rules found/);
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

  it('answers every dashboard expression with data', async () => {
    const expressions = dashboardExpressions();
    expect(expressions.length).toBeGreaterThanOrEqual(10);
    for (const expr of expressions) {
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
    expect(loaded).toHaveLength(6);
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
});
