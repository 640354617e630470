/**
 * What mesh-api's check of an answered certificate costs, against what signing it cost ca-signer: the
 * issuance use case (CSR proof-of-possession, template, signature, self-check) and
 * IssuedIdentityVerifier.verify on its answers, both in-process, one at a time, rounds interleaved; for a
 * builtin RSA-2048 CA and a provided EC P-256 CA.
 * Build and run: `npm run bench:issuance` (this is its last part).
 */
import { generateKeyPairSync } from 'node:crypto';
import {
  BuiltinCaManager,
  CaRegistry,
  DataSourceReader,
  IssueCertificateUseCase,
  IssuedIdentityVerifier,
  ProvidedCaManager,
  type IssueCertificateResult,
} from '@meshtls/application';
import { ResourceType, type MtlsBackend } from '@meshtls/domain';
import { createCsr, selfSignedCaCertificate } from '@meshtls/pki';
import { EncryptedResourceStore, MemoryResourceStore, SecretCipher } from '@meshtls/store/adapters';
import { systemClock } from '@meshtls/util';
import { median } from '../stats';
import { formatRate, formatRatio, measureRoundAsync } from './bench-harness';

const ROUNDS = Number(process.argv[2] ?? 7);
const ROUND_MS = Number(process.argv[3] ?? 500);
const DAY_MS = 86_400_000;

function providedEcBackend(mesh: string): MtlsBackend {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const certPem = selfSignedCaCertificate({
    privateKey,
    publicKey,
    subject: { commonName: mesh },
    uris: [`spiffe://${mesh}`],
    validityMs: 3650 * DAY_MS,
    now: new Date(),
  });
  const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  return {
    name: 'ec',
    type: 'provided',
    conf: { cert: { inlineString: certPem }, key: { inlineString: keyPem } },
  };
}

async function main(): Promise<void> {
  // Secrets (and inline CA keys) encrypted at rest, as in every deployment.
  const store = new EncryptedResourceStore(
    new MemoryResourceStore(systemClock),
    new SecretCipher(SecretCipher.generateKey()),
  );
  const builtin = new BuiltinCaManager(store, systemClock);
  const registry = new CaRegistry({
    builtin,
    provided: new ProvidedCaManager(new DataSourceReader(store), systemClock),
  });
  const issue = new IssueCertificateUseCase(store, registry, systemClock);
  const verifier = new IssuedIdentityVerifier(store, systemClock);
  verifier.followChanges();
  registry.followChanges(store);
  const csrs = Array.from({ length: 64 }, () =>
    createCsr(generateKeyPairSync('ec', { namedCurve: 'P-256' })),
  );

  const cases: { label: string; mesh: string; backend: MtlsBackend }[] = [
    {
      label: 'builtin RSA-2048 CA',
      mesh: 'rsa',
      backend: { name: 'ca-1', type: 'builtin', conf: { caCert: { RSAbits: 2048 } } } as MtlsBackend,
    },
    { label: 'provided EC P-256 CA', mesh: 'ec', backend: providedEcBackend('ec') },
  ];
  console.log('\nmesh-api check of an answered certificate, EC P-256 CSR, one core');
  for (const { label, mesh, backend } of cases) {
    await store.create(
      { type: ResourceType.Mesh, name: mesh },
      { mtls: { enabledBackend: backend.name, backends: [backend] } },
    );
    await store.create(
      { type: ResourceType.Dataplane, mesh, name: 'web-1' },
      {
        networking: {
          address: '10.0.0.1',
          inbound: [{ port: 8080, tags: { 'kuma.io/service': 'web', version: 'v2' } }],
        },
      },
    );
    if (backend.type === 'builtin') await builtin.ensure(mesh, backend);
    const facts = await verifier.facts(mesh, 'web-1');
    const command = (i: number) => ({
      mesh,
      dataplane: 'web-1',
      reason: 'new' as const,
      csrPem: csrs[i % csrs.length]!,
      meshVersion: facts.mesh.meta.version,
      dataplaneVersion: facts.dataplane.meta.version,
      backend: facts.backend.name,
    });
    const answers: IssueCertificateResult[] = [];
    for (let i = 0; i < csrs.length; i++) answers.push(await issue.execute(command(i)));

    let s = 0;
    let v = 0;
    const sign = () => issue.execute(command(s++));
    // mesh-api's whole side: reading what it asks for from its store, then checking the answer against it.
    const verify = async () =>
      verifier.verify(command(v), await verifier.facts(mesh, 'web-1'), answers[v++ % answers.length]!);
    await measureRoundAsync(sign, 200);
    await measureRoundAsync(verify, 200);
    const signRates: number[] = [];
    const verifyRates: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      signRates.push(await measureRoundAsync(sign, ROUND_MS));
      verifyRates.push(await measureRoundAsync(verify, ROUND_MS));
    }
    const signRate = median(signRates);
    const verifyRate = median(verifyRates);
    console.log(`\n${label}`);
    console.log(`  sign (ca-signer's use case)   ${formatRate(signRate)}   reference`);
    console.log(`  verify (mesh-api)             ${formatRate(verifyRate)}`);
    console.log(
      `  verify time / sign time       ${formatRatio(signRate / verifyRate)}   (${ROUNDS} rounds, medians)`,
    );
  }
  process.exit(0);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
