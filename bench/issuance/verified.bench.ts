/**
 * What mesh-api's side of an issuance costs over real NATS: two ca-signer processes sign, and this
 * process asks for certificates as a mesh-api replica does, once forwarding ca-signer's answer as it came
 * (`BusIdentityIssuer.sign`, the reference) and once through `VerifyingIdentityIssuer` (the request's
 * facts read from its own store, every answer checked against it before it would be forwarded). Rounds
 * alternate, medians compared: the ratio is the throughput the verification leaves.
 *
 *   npm run bench:issuance   (this is one of its parts; 127.0.0.1 only; it stops everything it starts)
 */
import {
  BusIdentityIssuer,
  IssuedIdentityVerifier,
  VerifyingIdentityIssuer,
  type SignCommand,
} from '@meshtls/application';
import { NatsBus, connectNats } from '@meshtls/bus';
import { EncryptedResourceStore, NatsKvResourceStore, SecretCipher } from '@meshtls/store/adapters';
import { Topology } from '@meshtls/testing';
import { systemClock } from '@meshtls/util';
import { median } from '../stats';
import { formatRate } from './bench-harness';
import { ecCsrPool, seedMeshes } from './fleet-fixture';
import { closedLoop, ratePerSecond, type Outcome } from './load-driver';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const IN_FLIGHT = 128;
const REPLICAS = 2;
/** Admission wide open: this measures capacity, not the configured pace. */
const OPEN_ADMISSION = { MESH_CA_RATE: '1000000', MESH_CA_BURST: '1000000', MESH_CA_MAX_CONCURRENT: '256' };

async function main(): Promise<void> {
  console.log(
    `mesh-api's side of issuance over NATS, Node ${process.version}; ${REPLICAS} ca-signer replicas, ` +
      `${IN_FLIGHT} requests in flight; ${ROUNDS} rounds of ${SECONDS} s each way, alternating`,
  );
  const csrs = ecCsrPool(2000);
  const topology = await Topology.start({ 'ca-signer': REPLICAS }, OPEN_ADMISSION);
  const client = topology.natsClient('mesh-api');
  const bus = await NatsBus.connect({ servers: [topology.nats.url], name: 'bench-mesh-api', ...client });
  const nc = await connectNats({ servers: [topology.nats.url], name: 'bench-mesh-api-store', ...client });
  try {
    const meshes = await seedMeshes(topology.nats.url, topology.secretKey, 100, client);
    // mesh-api's own view of the bucket, as it runs: Secrets and Mesh keys decrypted on the way out.
    const store = new EncryptedResourceStore(
      await NatsKvResourceStore.connect({ nc, bucket: 'mesh-resources', replicas: 1, clock: systemClock }),
      new SecretCipher(topology.secretKey),
    );
    const verifier = new IssuedIdentityVerifier(store, systemClock);
    const stopFollowing = verifier.followChanges();
    const overBus = new BusIdentityIssuer(bus, { maxInFlight: IN_FLIGHT });
    const verifying = new VerifyingIdentityIssuer((command) => overBus.sign(command), verifier);
    try {
      for (const mesh of meshes) {
        let n = 0;
        const next = () => {
          const i = n++;
          return { dataplane: i % mesh.dataplanes.length, csrPem: csrs[i % csrs.length]! };
        };
        const forwarded = outcomeOf(() => {
          const { dataplane, csrPem } = next();
          const command: SignCommand = {
            mesh: mesh.mesh,
            dataplane: mesh.dataplanes[dataplane]!,
            reason: 'new',
            csrPem,
            meshVersion: mesh.meshVersion,
            dataplaneVersion: mesh.dataplaneVersions[dataplane]!,
            backend: mesh.backend,
          };
          return overBus.sign(command);
        });
        const verified = outcomeOf(() => {
          const { dataplane, csrPem } = next();
          return verifying.issue({
            mesh: mesh.mesh,
            dataplane: mesh.dataplanes[dataplane]!,
            reason: 'new',
            csrPem,
          });
        });
        // Warm-up both ways: JIT, CA loading, caches.
        await closedLoop(forwarded.run, IN_FLIGHT, 1);
        await closedLoop(verified.run, IN_FLIGHT, 1);
        const plain: number[] = [];
        const checked: number[] = [];
        for (let round = 0; round < ROUNDS; round++) {
          plain.push(ratePerSecond(await closedLoop(forwarded.run, IN_FLIGHT, SECONDS)));
          checked.push(ratePerSecond(await closedLoop(verified.run, IN_FLIGHT, SECONDS)));
        }
        const reference = median(plain);
        const rate = median(checked);
        console.log(
          `\n${mesh.label}\n` +
            `  answers forwarded as they came  ${formatRate(reference)}   reference; failed ${forwarded.failed()}\n` +
            `  answers verified                ${formatRate(rate)}   failed ${verified.failed()}\n` +
            `  throughput kept                 ${((rate / reference) * 100).toFixed(1)} %   ` +
            `(verification costs ${((1 - rate / reference) * 100).toFixed(1)} %; medians of ${ROUNDS} rounds)`,
        );
      }
    } finally {
      stopFollowing();
      await store.close();
    }
  } finally {
    await bus.close();
    await nc.drain();
    await topology.stop();
  }
}

/** An issuing call as a closed-loop operation, its failures counted (a failure is never a success). */
function outcomeOf(call: () => Promise<unknown>): { run: () => Promise<Outcome>; failed: () => number } {
  let failed = 0;
  return {
    run: () =>
      call().then(
        () => 'issued' as const,
        () => {
          failed++;
          return 'failed' as const;
        },
      ),
    failed: () => failed,
  };
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
