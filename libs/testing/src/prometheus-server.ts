import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { freePort, retryOnPortRace, tempDir } from './ports';
import { findBinary, spawnServer, stopProcess, waitUntilReady } from './server-process';

/** An alert as `/api/v1/alerts` lists it: pending (condition true, `for:` not yet over) or firing. */
export interface PrometheusAlert {
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
  readonly state: 'pending' | 'firing';
  readonly activeAt: string;
  /** The expression's value when it last became true, as Prometheus prints it. */
  readonly value: string;
}

/** An alerting rule as `/api/v1/rules` shows it, with its state at its group's last evaluation. */
export interface PrometheusAlertingRule {
  readonly name: string;
  readonly query: string;
  readonly health: string;
  readonly state: 'inactive' | 'pending' | 'firing';
  /** RFC 3339; `0001-01-01T00:00:00Z` before the first evaluation. */
  readonly lastEvaluation: string;
}

/** A running Prometheus server of a test, its data in a temporary directory. */
export interface PrometheusHandle {
  /** `http://127.0.0.1:port`, the HTTP API's base. */
  readonly url: string;
  readonly pid: number;
  /** Runs a PromQL instant query; resolves Prometheus's answer (`status`, `data`, `error`). */
  query(expr: string): Promise<{ status: string; data?: { result: unknown[] }; error?: string }>;
  /** Every active (pending or firing) alert. */
  alerts(): Promise<PrometheusAlert[]>;
  /** Every loaded alerting rule of every group. */
  alertingRules(): Promise<PrometheusAlertingRule[]>;
  /** Stops it (SIGTERM, then SIGKILL) and removes its directory. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts `prometheus` (Debian package) on 127.0.0.1 and a free port with the given configuration files
 * (relative path → content, written under one directory, so relative `rule_files` and `file_sd` paths
 * work), and
 * resolves once it is ready.
 */
export async function startPrometheus(
  files: Record<string, string>,
  options: { startTimeoutMs?: number } = {},
): Promise<PrometheusHandle> {
  return retryOnPortRace(() => startOnce(files, options));
}

async function startOnce(
  files: Record<string, string>,
  options: { startTimeoutMs?: number },
): Promise<PrometheusHandle> {
  const binary = findBinary('prometheus', 'apt-get install prometheus');
  const port = await freePort();
  const dir = await tempDir('meshtls-prometheus-');
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir.path, name)), { recursive: true });
    writeFileSync(join(dir.path, name), content);
  }
  const server = spawnServer(binary, [
    `--config.file=${join(dir.path, 'prometheus.yml')}`,
    `--storage.tsdb.path=${join(dir.path, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--web.enable-lifecycle',
  ]);
  const url = `http://127.0.0.1:${port}`;
  try {
    const probe = async () => (await fetch(`${url}/-/ready`).catch(() => undefined))?.status === 200;
    await waitUntilReady(server, 'prometheus', port, probe, options.startTimeoutMs ?? 20_000);
  } catch (err) {
    await stopProcess(server, 2000);
    await dir.remove();
    throw err;
  }
  let stopped = false;
  return {
    url,
    pid: server.pid,
    async query(expr) {
      const response = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`);
      return (await response.json()) as { status: string; data?: { result: unknown[] }; error?: string };
    },
    async alerts() {
      const response = await fetch(`${url}/api/v1/alerts`);
      return ((await response.json()) as { data: { alerts: PrometheusAlert[] } }).data.alerts;
    },
    async alertingRules() {
      const response = await fetch(`${url}/api/v1/rules?type=alert`);
      const body = (await response.json()) as { data: { groups: { rules: PrometheusAlertingRule[] }[] } };
      return body.data.groups.flatMap((g) => g.rules);
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await stopProcess(server, 5000);
      await dir.remove();
    },
  };
}
