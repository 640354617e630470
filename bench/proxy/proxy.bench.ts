/**
 * Proxy benchmark: HTTP keep-alive load (wrk, loopback, bounded) through the mesh's two-hop mTLS path
 *
 *   wrk → web-1 sidecar (outbound, plaintext in) ══mTLS══▶ backend-1 sidecar (inbound, STRICT,
 *         MeshTrafficPermission) → a small HTTP server
 *
 * compared in the same run, round after round, with (a) the server called directly and (b) HAProxy (the
 * Debian package) doing the same two hops with the same certificates (taken from the sidecars' cert
 * dirs), one thread per process like each Node sidecar. Prints requests/s and p99 for each, the ratios
 * to HAProxy, and new connections/s (every request on a new connection, so a new mTLS connection between
 * the proxies), side by side: HAProxy without and with TLS session reuse, and the sidecars without
 * (`--no-session-resumption`, a second pair: web-2 → backend-2) and with session resumption. Around each
 * measured round of HAProxy and of the sidecars, the CPU time of both proxy processes (per request),
 * and in keep-alive each sidecar's event-loop delay (its metrics endpoint, a window per scrape). Every
 * error wrk counts in a measured round (socket errors: connect, read, write, timeout; answers other than
 * 2xx/3xx) is printed and fails the run (exit code 1); a target is met only by rounds without errors.
 *
 *   PROXY_ROUNDS=3           rounds (medians are printed)
 *   PROXY_DURATION_S=5       seconds per keep-alive measurement
 *   PROXY_HANDSHAKE_S=3      seconds per new-connection measurement (each leaves thousands of
 *                            sockets in TIME_WAIT; short runs keep the ephemeral ports available)
 *   PROXY_CONNECTIONS=32     keep-alive connections
 *   PROXY_HAPROXY_THREADS=1  nbthread of each HAProxy process
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  DataplaneProcess,
  freePort,
  metricSum,
  startStandaloneControlPlane,
  tempDir,
} from '@meshtls/testing';
import { median } from '../stats';
import { startHaproxyTwoHop } from './haproxy-two-hop';
import { startHttpTarget } from './http-target';
import { roundProbes, type RoundProbes } from './round-probes';
import { describeWrkErrors, runWrk, sumWrkErrors, wrkAvailable, type WrkResult } from './wrk';

const ROUNDS = Number(process.env.PROXY_ROUNDS ?? 3);
const DURATION_S = Number(process.env.PROXY_DURATION_S ?? 5);
const HANDSHAKE_S = Number(process.env.PROXY_HANDSHAKE_S ?? 3);
const CONNECTIONS = Number(process.env.PROXY_CONNECTIONS ?? 32);
const HAPROXY_THREADS = Number(process.env.PROXY_HAPROXY_THREADS ?? 1);
const TARGETS = { throughputShare: 0.8, p99Factor: 1.5, fullHandshakeShare: 0.7, resumedShare: 1 };

/** `-full`: a full handshake per connection; `-resume`: TLS session resumption between the proxies. */
type Variant = 'direct' | 'haproxy' | 'haproxy-resume' | 'mesh' | 'mesh-full';

async function main(): Promise<void> {
  if (!wrkAvailable()) throw new Error('wrk not found: apt-get install wrk');
  const dir = await tempDir('meshtls-bench-proxy-');
  const stops: (() => Promise<unknown>)[] = [];
  try {
    const target = await startHttpTarget();
    stops.push(() => target.close());
    const cp = await startStandaloneControlPlane(join(dir.path, 'data'), { MESH_LOG_LEVEL: 'warn' });
    const base = cp.url;
    stops.push(() => cp.stop());
    await put(base, '/meshes/m', {
      type: 'Mesh',
      name: 'm',
      mtls: {
        enabledBackend: 'ca-1',
        backends: [{ name: 'ca-1', type: 'builtin', dpCert: { rotation: { expiration: '24h' } } }],
      },
    });
    for (const service of ['backend', 'backend-full']) {
      await put(base, `/meshes/m/meshtrafficpermissions/${service}-from-web`, {
        type: 'MeshTrafficPermission',
        mesh: 'm',
        name: `${service}-from-web`,
        spec: {
          targetRef: { kind: 'MeshService', name: service },
          from: [{ targetRef: { kind: 'MeshService', name: 'web' }, default: { action: 'Allow' } }],
        },
      });
    }
    const outboundPort = await freePort();
    const fullOutboundPort = await freePort();
    const sidecar = async (name: string, service: string, extra: object) => {
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
      stops.push(() => dp.stop());
      return dp;
    };
    const noResumption = { extraArgs: ['--no-session-resumption'] };
    const backend = await sidecar('backend-1', 'backend', { servicePort: target.port });
    const web = await sidecar('web-1', 'web', { outbounds: [{ port: outboundPort, service: 'backend' }] });
    const backendFull = await sidecar('backend-2', 'backend-full', {
      servicePort: target.port,
      ...noResumption,
    });
    const webFull = await sidecar('web-2', 'web', {
      outbounds: [{ port: fullOutboundPort, service: 'backend-full' }],
      ...noResumption,
    });
    for (const dp of [backend, backendFull])
      await dp.waitFor((v) => v.ready && Object.keys(v.listeners.inbound).length === 1);
    for (const dp of [web, webFull])
      await dp.waitFor((v) => v.ready && Object.keys(v.listeners.outbound).length === 1);
    const pem = (dp: DataplaneProcess, file: string) => readFileSync(join(dp.certDir, file), 'utf8');
    const startHaproxy = async (sessionReuse: boolean) => {
      const haproxy = await startHaproxyTwoHop({
        targetPort: target.port,
        client: { certPem: pem(web, 'cert.pem'), keyPem: pem(web, 'key.pem') },
        server: { certPem: pem(backend, 'cert.pem'), keyPem: pem(backend, 'key.pem') },
        caPem: pem(web, 'ca.pem'),
        threads: HAPROXY_THREADS,
        sessionReuse,
      });
      stops.push(() => haproxy.close());
      return haproxy;
    };
    const haproxy = await startHaproxy(false);
    const haproxyResume = await startHaproxy(true);
    const url: Record<Variant, string> = {
      direct: `http://127.0.0.1:${target.port}/`,
      haproxy: `http://127.0.0.1:${haproxy.port}/`,
      'haproxy-resume': `http://127.0.0.1:${haproxyResume.port}/`,
      mesh: `http://127.0.0.1:${outboundPort}/`,
      'mesh-full': `http://127.0.0.1:${fullOutboundPort}/`,
    };
    // Every path must answer before anything is measured.
    for (const variant of ['haproxy', 'haproxy-resume', 'mesh', 'mesh-full'] as const) {
      const response = await fetch(url[variant]);
      if (response.status !== 200) throw new Error(`${variant} path answered ${response.status}`);
    }
    console.log(
      `proxy benchmark: ${ROUNDS} rounds × ${DURATION_S} s, ${CONNECTIONS} keep-alive connections, wrk 1 thread; ` +
        `HAProxy ${HAPROXY_THREADS} thread(s) per process; 2 cores shared by everything`,
    );
    const pids: Partial<Record<Variant, number[]>> = {
      haproxy: haproxy.pids,
      'haproxy-resume': haproxyResume.pids,
      mesh: [web.process.pid, backend.process.pid],
      'mesh-full': [webFull.process.pid, backendFull.process.pid],
    };
    const probes = roundProbes<Variant>('keep-alive', pids, label, {
      variant: 'mesh',
      sidecars: { 'web-1': web, 'backend-1': backend },
    });
    const handshakeProbes = roundProbes<Variant>('a new connection per request', pids, label);
    const keepAlive = await measure(url, ['direct', 'haproxy', 'mesh'], false, probes);
    const handshakes = await measure(url, HANDSHAKE_VARIANTS, true, handshakeProbes);
    const ok = report(keepAlive, handshakes);
    probes.report();
    handshakeProbes.report();
    // What the inbounds saw: resumed against all mTLS connections let in.
    for (const [name, dp] of [
      ['backend-1 (resumption)', backend],
      ['backend-2 (--no-session-resumption)', backendFull],
    ] as const) {
      const metrics = await dp.metrics();
      const all = metricSum(metrics, 'dataplane_inbound_connections_total', 'kind="mtls"');
      const resumed = metricSum(metrics, 'dataplane_inbound_resumed_connections_total');
      console.log(
        `  ${name}: ${fmt(resumed).trim()} of ${fmt(all).trim()} mTLS connections resumed (${((resumed / Math.max(all, 1)) * 100).toFixed(1)} %)`,
      );
    }
    if (!ok) process.exitCode = 1;
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
    await dir.remove();
  }
}

/** Each variant once per round, interleaved, so a noisy neighbour weighs on all alike. */
async function measure(
  url: Record<Variant, string>,
  variants: Variant[],
  closeEach: boolean,
  probes?: RoundProbes<Variant>,
): Promise<Map<Variant, WrkResult[]>> {
  const results = new Map<Variant, WrkResult[]>(variants.map((v) => [v, []]));
  for (const v of variants) await runWrk({ url: url[v], connections: CONNECTIONS, durationS: 1, closeEach }); // warm-up
  for (let round = 0; round < ROUNDS; round++) {
    for (const v of variants) {
      const durationS = closeEach ? HANDSHAKE_S : DURATION_S;
      const probed = await probes?.before(v);
      const result = await runWrk({ url: url[v], connections: CONNECTIONS, durationS, closeEach });
      if (result.requests === 0) throw new Error(`${v}: no request succeeded (${result.errors} errors)`);
      results.get(v)!.push(result);
      const extra = probed ? await probed(result) : '';
      console.log(
        `  round ${round + 1} ${closeEach ? 'new connection per request' : 'keep-alive'} ${v.padEnd(8)} ` +
          `${fmt(result.requestsPerSecond)} req/s  p50 ${result.p50Ms.toFixed(2)} ms  p99 ${result.p99Ms.toFixed(2)} ms  ` +
          `errors ${describeWrkErrors(result.errorsByKind)}${extra}`,
      );
    }
  }
  return results;
}

/** Prints the medians, the targets and every error; true when no measured round had an error. */
function report(keepAlive: Map<Variant, WrkResult[]>, handshakes: Map<Variant, WrkResult[]>): boolean {
  const rps = (m: Map<Variant, WrkResult[]>, v: Variant) => median(m.get(v)!.map((r) => r.requestsPerSecond));
  const p99 = (m: Map<Variant, WrkResult[]>, v: Variant) => median(m.get(v)!.map((r) => r.p99Ms));
  const p50 = (m: Map<Variant, WrkResult[]>, v: Variant) => median(m.get(v)!.map((r) => r.p50Ms));
  const errors = (m: Map<Variant, WrkResult[]>, v: Variant) => m.get(v)!.reduce((n, r) => n + r.errors, 0);
  console.log('\nmedians, keep-alive HTTP:');
  console.log('  path                      req/s     p50 ms     p99 ms   errors');
  for (const v of ['direct', 'haproxy', 'mesh'] as const) {
    console.log(
      `  ${label(v).padEnd(24)}${fmt(rps(keepAlive, v))}  ${p50(keepAlive, v).toFixed(2).padStart(9)}  ${p99(keepAlive, v).toFixed(2).padStart(9)}   ${errors(keepAlive, v)}`,
    );
  }
  const share = rps(keepAlive, 'mesh') / rps(keepAlive, 'haproxy');
  const factor = p99(keepAlive, 'mesh') / p99(keepAlive, 'haproxy');
  // Failed requests are no throughput, and a fast error no latency: a target is met by clean rounds only.
  const clean = errors(keepAlive, 'mesh') === 0 && errors(keepAlive, 'haproxy') === 0;
  const target = (ok: boolean) => (!clean ? 'missed (errors)' : ok ? 'met' : 'missed');
  console.log(
    `  mesh / HAProxy: ${(share * 100).toFixed(1)} % of req/s (target ≥ ${TARGETS.throughputShare * 100} %: ${target(share >= TARGETS.throughputShare)}), ` +
      `p99 ×${factor.toFixed(2)} (target ≤ ×${TARGETS.p99Factor}: ${target(factor <= TARGETS.p99Factor)}); ` +
      `mesh / direct: ${((rps(keepAlive, 'mesh') / rps(keepAlive, 'direct')) * 100).toFixed(1)} %`,
  );
  console.log('\nmedians, a new connection (a new mTLS connection between the proxies) per request:');
  console.log('  path                                        conn/s     p99 ms   errors');
  for (const v of HANDSHAKE_VARIANTS) {
    console.log(
      `  ${label(v).padEnd(40)}${fmt(rps(handshakes, v))}  ${p99(handshakes, v).toFixed(2).padStart(9)}   ${errors(handshakes, v)}`,
    );
  }
  const cleanHandshakes = HANDSHAKE_VARIANTS.every((v) => errors(handshakes, v) === 0);
  const ratio = (a: Variant, b: Variant, target?: number) => {
    const share = rps(handshakes, a) / rps(handshakes, b);
    const verdict =
      target === undefined
        ? ''
        : ` (target ≥ ${target * 100} %: ${!cleanHandshakes ? 'missed (errors)' : share >= target ? 'met' : 'missed'})`;
    return `  ${label(a)} / ${label(b)}: ${(share * 100).toFixed(1)} % of conn/s${verdict}, p99 ×${(p99(handshakes, a) / p99(handshakes, b)).toFixed(2)}`;
  };
  console.log(ratio('mesh-full', 'haproxy', TARGETS.fullHandshakeShare));
  console.log(ratio('mesh', 'haproxy-resume', TARGETS.resumedShare));
  console.log(ratio('mesh', 'haproxy'));
  console.log(ratio('mesh', 'mesh-full'));
  console.log(ratio('haproxy-resume', 'haproxy'));
  const failed = [
    ...[...keepAlive].map(([v, results]) => [`keep-alive ${label(v)}`, results] as const),
    ...[...handshakes].map(([v, results]) => [`new connection per request ${label(v)}`, results] as const),
  ].filter(([, results]) => results.some((r) => r.errors > 0));
  console.log(
    failed.length === 0
      ? '\nverdict: no errors in any measured round'
      : `\nverdict: FAILED — wrk counted errors: ${failed
          .map(([what, results]) => {
            const n = results.reduce((sum, r) => sum + r.errors, 0);
            const of = results.reduce((sum, r) => sum + r.requests, 0);
            return `${what}: ${n} (${describeWrkErrors(sumWrkErrors(results))}) in ${of} requests`;
          })
          .join('; ')}`,
  );
  return failed.length === 0;
}

const HANDSHAKE_VARIANTS: Variant[] = ['haproxy', 'haproxy-resume', 'mesh-full', 'mesh'];

function label(v: Variant): string {
  return {
    direct: 'direct (no proxy)',
    haproxy: 'HAProxy two-hop mTLS',
    'haproxy-resume': 'HAProxy, session reuse',
    mesh: 'mesh sidecars',
    'mesh-full': 'mesh sidecars, no resumption',
  }[v];
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US').padStart(9);
}

async function put(base: string, path: string, doc: object): Promise<void> {
  const response = await fetch(`${base}${path}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(doc),
  });
  if (response.status >= 300) throw new Error(`PUT ${path}: ${response.status} ${await response.text()}`);
}

main().catch((error: unknown) => {
  console.error(`proxy benchmark failed: ${(error as Error).message}`);
  process.exitCode = 1;
});
