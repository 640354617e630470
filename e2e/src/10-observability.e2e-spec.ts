import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import {
  DataplaneProcess,
  REPO_ROOT,
  Topology,
  dataplaneToken,
  eventually,
  startPrometheus,
  tempDir,
  type PrometheusHandle,
  type Role,
  type TempDir,
} from '@meshtls/testing';
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

/**
 * A real Prometheus scrapes every process of the distributed control plane and a sidecar with the
 * shipped configuration (targets pointed at this machine's ports), and every expression of the
 * dashboard and the alert rules is asked of it.
 */
describe('observability: metrics, Prometheus, dashboard and alerts', () => {
  let topology: Topology;
  let dir: TempDir;
  let prometheus: PrometheusHandle;
  let dp: DataplaneProcess;

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
    expect(
      (
        await admin('PUT', '/meshes/m', {
          type: 'Mesh',
          name: 'm',
          mtls: {
            enabledBackend: 'ca-1',
            backends: [{ name: 'ca-1', type: 'builtin', dpCert: { rotation: { expiration: '5s' } } }],
          },
        })
      ).status,
    ).toBe(201);
    dp = await DataplaneProcess.start({
      dir: dir.path,
      mesh: 'm',
      name: 'web-1',
      service: 'web',
      token: await dataplaneToken(api!.url, 'm', 'web-1', topology.adminToken),
      cpAddresses: [api!.dpAddress!],
      caFile: topology.dpCaFile,
    });
    await dp.waitFor((v) => v.ready && Object.keys(v.listeners.inbound).length === 1);
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
    const sidecar = new URL(dp.adminUrl).host;
    prometheus = await startPrometheus({
      'prometheus.yml': stringify(config),
      'alerts.yml': readFileSync(deploy('prometheus', 'alerts.yml'), 'utf8'),
      // file_sd: the sidecar, where the shipped configuration looks for sidecars.
      'dataplanes/web.json': JSON.stringify([{ targets: [sidecar], labels: { mesh: 'm' } }]),
    });
  }, 60_000);

  afterAll(async () => {
    await prometheus?.stop();
    await dp?.stop();
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
    const rules = (await (await fetch(`${prometheus.url}/api/v1/rules`)).json()) as {
      data: { groups: { rules: { name: string; health: string }[] }[] };
    };
    const loaded = rules.data.groups.flatMap((g) => g.rules);
    expect(loaded).toHaveLength(6);
    expect(loaded.every((r) => r.health !== 'err')).toBe(true);
  });
});
