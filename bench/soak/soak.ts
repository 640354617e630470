/**
 * Soak run: the distributed control plane (2 mesh-api, 2 ca-signer, 2 rotation-scheduler, 2
 * stats-collector, NATS with JetStream, Redis; all real processes on 127.0.0.1) serving hundreds of
 * simulated dataplanes (the real DataplaneAgent over the real gRPC protocol, in the fleet benchmark's
 * forked workers) whose certificates are rotated every ~30 s, for a bounded time.
 *
 * Every sample reads, per control-plane process, RSS (/proc/<pid>/status), open descriptors
 * (/proc/<pid>/fd) and, from its /metrics, heap used, active handles and the number of metric series;
 * NATS, Redis and the fleet workers are sampled from /proc too (shown, not judged), with the JetStream
 * streams' size and Redis's used memory. At the end, per process: first-third against last-third medians,
 * least-squares slope per hour, and a verdict: "flat" when the heap grew less than HEAP_TOLERANCE over the
 * last two thirds (middle-third median to last-third median; the first third is warm-up) and descriptors,
 * handles and metric series are not growing steadily; "GROWING" otherwise.
 *
 * The certificates are judged from the certificates themselves (notBefore and notAfter read from each
 * X.509): a certificate is due for rotation at 4/5 of its validity; the workers check every dataplane's
 * certificate against the clock every 100 ms, at each certificate change and at the end.
 *
 * Exit code 1 when a control-plane process grows or exits; when a dataplane was without a valid
 * certificate at any check (or at the end); when a certificate due for rotation more than
 * ROTATION_GRACE_MS before the end was not rotated; when a rotation came before the rotation point of
 * the certificate it replaced; when a certificate was issued during the soak for another reason than
 * rotation; when a stream ended or failed to open; when the control plane counted an issuance failure
 * or a failed or unreachable rotation; 130/143 when interrupted.
 * Everything started here is stopped by PID (topology.stop(), the workers' stop), also on error or
 * Ctrl-C; a hard limit of SOAK_DURATION_S + 120 s stops the run whatever it is waiting for.
 *
 *   SOAK_DATAPLANES=300    simulated dataplanes
 *   SOAK_DURATION_S=600    how long the fleet runs once every dataplane holds a certificate
 *   SOAK_SAMPLE_S=15       pause between samples
 *   SOAK_VALIDITY_S=38     certificate validity (`dpCert.rotation.expiration`); notBefore is backdated
 *                          a few seconds and rotation comes at 4/5 of notBefore..notAfter (~30 s)
 *   SOAK_CONNECTIONS=own   own: one TLS connection per dataplane, as sidecars have (default);
 *                          shared: one HTTP/2 connection per mesh-api replica per worker
 *   SOAK_WORKERS=2         processes the simulated dataplanes are spread over
 *   SOAK_REPORT=file       also write the figures there as JSON
 *
 * The rotation schedulers keep their default pass interval (MESH_ROTATION_INTERVAL_MS, 1 s), so a
 * certificate is rotated about a second after its rotation point; the run prints the latest.
 *
 * This file reads the settings and handles interruption; run.ts starts the topology and the fleet and
 * soaks, sample.ts samples, analyse.ts holds the figures and the verdict rules, report.ts prints them.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { report } from './report';
import { newRunState, run } from './run';
import type { SoakConfig } from './types';

const config: SoakConfig = {
  dataplanes: positive('SOAK_DATAPLANES', 300),
  durationS: positive('SOAK_DURATION_S', 600),
  sampleS: positive('SOAK_SAMPLE_S', 15),
  validityS: positive('SOAK_VALIDITY_S', 38),
  workers: positive('SOAK_WORKERS', 2),
  ownConnections: process.env.SOAK_CONNECTIONS !== 'shared',
};

/** Beyond the soak itself: start-up, connecting, the final figures and stopping everything. */
const HARD_MARGIN_S = 120;
/** After the hard limit, what stopping gracefully may take before every child is killed. */
const FORCE_AFTER_MS = 30_000;

async function main(): Promise<void> {
  const { dataplanes, durationS, sampleS, validityS, workers, ownConnections } = config;
  const hardLimitS = durationS + HARD_MARGIN_S;
  console.log(
    `soak: ${dataplanes} dataplanes (${ownConnections ? 'a TLS connection each' : 'shared connections'}, ${workers} worker processes), ` +
      `${durationS} s, certificates valid ${validityS} s rotated at 4/5 of their validity, ` +
      `a sample every ${sampleS} s; hard limit ${hardLimitS} s`,
  );
  // The one abort controller of the run: a signal or the hard limit aborts it, everything waits on it.
  const abort = new AbortController();
  let exitCodeOnAbort = 1;
  let hardLimitReached = false;
  const interrupt = (why: string, code: number): void => {
    if (abort.signal.aborted) {
      console.log(`${why} again: killing every child process now`);
      killOwnChildren();
      process.exit(code);
    }
    console.log(`\n${why}: stopping the soak and everything it started`);
    exitCodeOnAbort = code;
    abort.abort(new Error(`interrupted (${why})`));
    setTimeout(() => {
      console.log(`still stopping after ${FORCE_AFTER_MS / 1000} s: killing every child process`);
      killOwnChildren();
      process.exit(code);
    }, FORCE_AFTER_MS).unref();
  };
  process.on('SIGINT', () => interrupt('SIGINT', 130));
  process.on('SIGTERM', () => interrupt('SIGTERM', 143));
  process.on('SIGHUP', () => interrupt('SIGHUP', 129));
  // The last resort if stopping gracefully hangs: every child of this process, by PID.
  process.on('exit', killOwnChildren);
  setTimeout(() => {
    hardLimitReached = true;
    interrupt(`hard limit of ${hardLimitS} s`, 1);
  }, hardLimitS * 1000).unref();

  const state = newRunState(dataplanes);
  const error = await run(state, config, abort.signal);
  if (error !== undefined && !abort.signal.aborted) {
    console.error(`soak run failed: ${(error as Error).stack ?? String(error)}`);
  }
  const ok = report(state, config, { error, interrupted: abort.signal.aborted, hardLimitReached });
  process.exitCode = abort.signal.aborted ? exitCodeOnAbort : ok ? 0 : 1;
}

/** SIGKILL to every process whose parent is this one: what the topology and the workers started. */
function killOwnChildren(): void {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === process.pid) process.kill(Number(entry), 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
}

function positive(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) {
    console.error(`${name} must be a positive whole number, got "${raw}"`);
    process.exit(2);
  }
  return value;
}

void main().catch((error: unknown) => {
  console.error(`soak run failed: ${(error as Error).stack ?? String(error)}`);
  process.exitCode = 1;
});
