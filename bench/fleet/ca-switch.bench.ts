/**
 * CA switch benchmark: the fleet benchmark's control plane (two mesh-api replicas, two ca-signer replicas, a
 * rotation scheduler, NATS and Redis, real processes on 127.0.0.1) and its simulated dataplanes (the real
 * DataplaneAgent, which acknowledges trust bundles and certificates as the sidecar does), then, on the
 * connected fleet:
 *
 * 1. reference: a plain re-issue of every dataplane without a switch (ca-1's certificate validity changed:
 *    the same `mesh-change` path, over the same streams), timed from the PUT to the last certificate;
 * 2. the switch: one PUT adds the builtin backend ca-2 and makes it `enabledBackend` (ca-1 stays listed);
 *    timed from the PUT to `mTLS.caSwitch.state == "done"` in `GET /mesh-insights/fleet`, with the time in
 *    each state (the switch record's own `stateSince`), the trust bundle's delivery, and the issuance rate
 *    during `reissuing` (certificates from ca-2 the dataplanes received, and the replicas'
 *    `mesh_dataplane_certificates_issued_total{reason="mesh-change"}`);
 * 3. the removal of ca-1, timed from the PUT to `done` and to the last dataplane holding a bundle without it.
 *
 * Every dataplane's certificate is checked against the clock throughout (as in the fleet benchmark).
 *
 *   CA_SWITCH_SIZE=10000     dataplanes (1000 for a quick run)
 *   CA_SWITCH_REFERENCE_TIMEOUT_MS=180000  how long the reference re-issue may take before the switch is run anyway
 *   CA_SWITCH_POLL_MS=250    pause between two reads of the mesh insight (each lists the whole fleet)
 *   FLEET_WORKERS=2, FLEET_CONNECTIONS=own, FLEET_CP_ENV='{...}'  as for the fleet benchmark
 */
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { median } from '../stats';
import { Topology, type Replica } from '@meshtls/testing';
import { everyTrustBy, followCaSwitch, untilEveryIdentity, untilEveryTrust } from './ca-switch-follow';
import type { FleetIdentityEvent, FleetTrustEvent, FleetWorkerMessage } from './fleet-worker';
import {
  adminCall,
  cpuMsOf,
  describeValidity,
  replicasMetricSum,
  mintTokens,
  startFleet,
  startWorkers,
  stopWorkers,
  until,
  validityOf,
  sharedConnectionsEnv,
} from './fleet-harness';

const SIZE = Number(process.env.CA_SWITCH_SIZE ?? 10_000);
const POLL_MS = Number(process.env.CA_SWITCH_POLL_MS ?? 250);
const WORKERS = Number(process.env.FLEET_WORKERS ?? 2);
const MESH = 'fleet';
const DAY_MS = 86_400_000;
const REF_TIMEOUT_MS = Number(process.env.CA_SWITCH_REFERENCE_TIMEOUT_MS ?? 180_000);

const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const connections = process.env.FLEET_CONNECTIONS === 'own' ? 'own' : 'shared';
  console.log(
    `CA switch benchmark: ${SIZE} dataplanes; ${connections} connections; 2 cores shared by everything`,
  );
  const topology = await Topology.start(
    { 'mesh-api': 2, 'ca-signer': 2, 'rotation-scheduler': 1 },
    {
      MESH_LOG_LEVEL: 'error',
      ...sharedConnectionsEnv(SIZE),
      ...(JSON.parse(process.env.FLEET_CP_ENV ?? '{}') as Record<string, string>),
    },
  );
  let workers: ChildProcess[] = [];
  const failures = { count: 0, sample: [] as string[] };
  let failed = false;
  try {
    const replicas = topology.of('mesh-api') as [Replica, Replica];
    const [api0, api1] = replicas;
    const ca1 = { name: 'ca-1', type: 'builtin' };
    const putMesh = (mtls: object) =>
      adminCall(topology, 'PUT', `${api0.url}/meshes/${MESH}`, { type: 'Mesh', name: MESH, mtls });
    await putMesh({ enabledBackend: 'ca-1', backends: [ca1] });
    const tokens = await mintTokens(topology, api0.url, SIZE, MESH);
    const caCertPem = readFileSync(topology.dpCaFile, 'utf8');

    const identities: FleetIdentityEvent[] = [];
    const trusts: FleetTrustEvent[] = [];
    const firstIdentity = new Set<number>();
    workers = startWorkers(WORKERS);
    for (const worker of workers) {
      worker.on('message', (message: FleetWorkerMessage) => {
        if (message.type === 'failures') {
          failures.count += message.count;
          failures.sample.push(...message.sample);
        } else if (message.type === 'identities') {
          for (const e of message.events) {
            identities.push(e);
            firstIdentity.add(e.index);
          }
        } else if (message.type === 'trusts') trusts.push(...message.events);
      });
    }
    const cpuPids = {
      'mesh-api (2)': replicas.map((r) => r.process.pid!),
      'ca-signer (2)': topology.of('ca-signer').map((r) => r.process.pid!),
      nats: [topology.nats.pid!],
      redis: [topology.redis.pid!],
      [`simulated fleet (${WORKERS})`]: workers.map((w) => w.pid!),
    };

    // The fleet connects: the first reference rate.
    const started = Date.now();
    startFleet(workers, {
      addresses: [api0.dpAddress!, api1.dpAddress!],
      caCertPem,
      mesh: MESH,
      tokens,
      ownConnections: connections === 'own',
    });
    await until(
      () => firstIdentity.size === SIZE,
      600_000,
      () => `${firstIdentity.size}/${SIZE} have an identity`,
    );
    const connectMs = lastAt(identities, started) - started;
    console.log(`fleet connected: ${SIZE} first identities in ${s(connectMs)} (${rate(SIZE, connectMs)}/s)`);
    await sleep(3000); // leases, insights and reports settled

    // Reference: every dataplane re-issued from the same backend, without a switch.
    const refIssued0 = await issuedMeshChange(topology, replicas);
    const refAt = Date.now();
    await putMesh({
      enabledBackend: 'ca-1',
      backends: [{ ...ca1, dpCert: { rotation: { expiration: '29d' } } }],
    });
    // A certificate of the new validity, whatever its reason: a dataplane that reconnected meanwhile gets
    // it as `reconnect` and is then not re-issued again.
    const renewed = (e: FleetIdentityEvent) => e.at >= refAt && e.notAfter - e.notBefore < 29.5 * DAY_MS;
    const stalled = await untilEveryIdentity(identities, SIZE, refAt, renewed, REF_TIMEOUT_MS);
    if (stalled.length > 0) {
      // Not re-issued in time: shown with each one's last certificate, and the switch is measured anyway.
      const lastOf = (i: number) => identities.filter((e) => e.index === i).pop();
      const examples = stalled.slice(0, 5).map((i) => {
        const e = lastOf(i);
        return `dp-${i} (last certificate: ${e ? `${e.reason} at ${s(e.at - refAt)} from the PUT, via ${e.connectedTo}` : 'none'})`;
      });
      console.log(
        `reference re-issue INCOMPLETE: ${stalled.length} of ${SIZE} dataplanes not re-issued within ${s(REF_TIMEOUT_MS)}; e.g. ${examples.join('; ')}`,
      );
    }
    const refMs = lastAt(identities.filter(renewed), refAt) - refAt;
    const refCount = SIZE - stalled.length;
    const refReasons = countBy(identities.filter(renewed), (e) => e.reason);
    await sleep(3000);
    const refIssued = (await issuedMeshChange(topology, replicas)) - refIssued0;
    console.log(
      `reference re-issue without a switch: ${refCount} certificates in ${s(refMs)} (${rate(refCount, refMs)}/s; first ${s(firstAt(identities.filter(renewed)) - refAt)} after the PUT; by reason ${refReasons}; metric mesh-change +${refIssued})`,
    );

    // The switch: ca-2 added and enabled in one PUT.
    const switchIssued0 = await issuedMeshChange(topology, replicas);
    const cpu0 = cpuMsOf(cpuPids);
    const switchAt = Date.now();
    const answer = await putMesh({
      enabledBackend: 'ca-2',
      backends: [
        { ...ca1, dpCert: { rotation: { expiration: '29d' } } },
        { name: 'ca-2', type: 'builtin' },
      ],
    });
    const putMs = Date.now() - switchAt;
    const warnings = (JSON.parse(answer) as { warnings?: string[] }).warnings ?? [];
    console.log(`switch PUT answered in ${s(putMs)}; warnings: ${warnings.join(' | ') || 'none'}`);
    const sw = await followCaSwitch(topology, api1, MESH, 'ca-2', switchAt, POLL_MS);
    const cpu1 = cpuMsOf(cpuPids);
    await sleep(3000);
    const switchIssued = (await issuedMeshChange(topology, replicas)) - switchIssued0;

    const bundleDelivered = everyTrustBy(trusts, SIZE, switchAt, (t) => t.backends.includes('ca-2'));
    const fromCa2 = identities.filter((e) => e.at >= switchAt && e.backend === 'ca-2');
    const fromCa1 = identities.filter((e) => e.at >= switchAt && e.backend === 'ca-1');
    const reissuingAt = sw.since.get('reissuing') ?? NaN;
    const doneAt = sw.since.get('done') ?? NaN;
    const inReissuing = fromCa2.filter((e) => e.at >= reissuingAt && e.at <= doneAt).length;
    const issuingMs = lastAt(fromCa2, switchAt) - firstAt(fromCa2);
    const stateTimes = [
      ['waiting-for-bundle', switchAt, reissuingAt],
      ['reissuing', reissuingAt, doneAt],
    ] as const;
    console.log(`\nCA switch ca-1 → ca-2, ${SIZE} dataplanes`);
    console.log(
      `  PUT → done                  ${s(doneAt - switchAt)} (by the record's stateSince; a read of the insight showed it after ${s(sw.seen.get('done')! - switchAt)})`,
    );
    for (const [state, from, to] of stateTimes) console.log(`  ${state.padEnd(27)} ${s(to - from)}`);
    console.log(
      `  trust bundle with ca-2      every dataplane had it ${bundleDelivered === undefined ? 'never' : `after ${s(bundleDelivered - switchAt)}`}; certificates from ca-1 after the PUT: ${fromCa1.length}`,
    );
    console.log(
      `  issuance during reissuing   ${inReissuing} certificates from ca-2 in ${s(doneAt - reissuingAt)} = ${rate(inReissuing, doneAt - reissuingAt)}/s; ` +
        `first to last certificate ${s(issuingMs)} = ${rate(fromCa2.length, issuingMs)}/s (${fromCa2.length} received: ${countBy(fromCa2, (e) => e.reason)}; metric mesh-change +${switchIssued})`,
    );
    console.log(
      `  around the issuance         first certificate from ca-2 ${s(firstAt(fromCa2) - reissuingAt)} after reissuing began; done ${s(doneAt - lastAt(fromCa2, switchAt))} after the last one`,
    );
    console.log(
      `  reference (same run)        re-issue without a switch ${rate(refCount, refMs)}/s in ${s(refMs)}; initial connection ${rate(SIZE, connectMs)}/s`,
    );
    console.log(
      `  ratio                       reissuing rate / reference re-issue rate = ${((inReissuing / (doneAt - reissuingAt)) * (refMs / refCount)).toFixed(2)}; PUT → done / reference re-issue = ${((doneAt - switchAt) / refMs).toFixed(2)}`,
    );
    const cpu = Object.keys(cpu1).map(
      (k) => `${k} ${(((cpu1[k]! - cpu0[k]!) / (doneAt - switchAt)) * 100).toFixed(0)} %`,
    );
    console.log(`  CPU PUT → done (of one core) ${cpu.join(', ')}`);
    console.log(
      `  insight reads               ${sw.readMs.length}, median ${s(median(sw.readMs))}, max ${s(Math.max(...sw.readMs))} each (every ${POLL_MS} ms after the last answer)`,
    );

    // The removal of ca-1.
    const removeAt = Date.now();
    const removal = await putMesh({ enabledBackend: 'ca-2', backends: [{ name: 'ca-2', type: 'builtin' }] });
    const removeWarnings = (JSON.parse(removal) as { warnings?: string[] }).warnings ?? [];
    const rm = await followCaSwitch(topology, api1, MESH, 'ca-2', removeAt, POLL_MS);
    const withoutCa1 = await untilEveryTrust(
      trusts,
      SIZE,
      removeAt,
      (t) => !t.backends.includes('ca-1'),
      60_000,
    );
    const rmStates = [...rm.since.entries()].sort((a, b) => a[1] - b[1]);
    console.log(`\nremoval of ca-1`);
    console.log(`  warnings                    ${removeWarnings.join(' | ') || 'none'}`);
    console.log(
      `  PUT → done                  ${s(rm.since.get('done')! - removeAt)} (states: ${rmStates.map(([k, v]) => `${k} at ${s(v - removeAt)}`).join(', ')})`,
    );
    console.log(
      `  bundle without ca-1         every dataplane had it ${withoutCa1 === undefined ? 'not within 60 s' : `after ${s(withoutCa1 - removeAt)}`}`,
    );

    const validity = await validityOf(workers);
    const streamsEnded = await replicasMetricSum(topology, replicas, 'mesh_ca_switch_streams_ended_total');
    console.log(`\n  streams ended by the switch watchdog: ${streamsEnded}`);
    console.log(`  valid certificate           ${describeValidity(validity)}`);
    if (validity.invalidMoments + validity.invalidAtEnd.length > 0) failed = true;
  } catch (error) {
    failed = true;
    console.log(`did not complete: ${(error as Error).message}`);
  } finally {
    await stopWorkers(workers);
    await topology.stop();
    console.log(
      `  (streams that ended or failed to open: ${failures.count}; e.g. ${[...new Set(failures.sample)].slice(0, 3).join(' | ')})`,
    );
  }
  if (failed) process.exitCode = 1;
}

function issuedMeshChange(topology: Topology, replicas: readonly Replica[]): Promise<number> {
  return replicasMetricSum(topology, replicas, 'mesh_dataplane_certificates_issued_total', {
    mesh: MESH,
    reason: 'mesh-change',
  });
}

function lastAt(events: readonly { at: number }[], otherwise: number): number {
  return events.reduce((m, e) => Math.max(m, e.at), otherwise);
}

function firstAt(events: readonly { at: number }[]): number {
  return events.reduce((m, e) => Math.min(m, e.at), Infinity);
}

function countBy<T>(items: readonly T[], key: (item: T) => string): string {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return [...counts].map(([k, n]) => `${k} ${n}`).join(', ');
}

function rate(count: number, ms: number): string {
  return (count / (ms / 1000)).toFixed(0);
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
