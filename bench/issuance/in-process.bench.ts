/**
 * In-process issuance benchmark, one core (everything synchronous on the main thread, one at a time):
 *  (a) a CSR with an EC P-256 key, signed by an RSA-2048 CA;
 *  (b) the same with an EC P-256 CA;
 *  (c) a control-plane-made RSA-2048 key (Kuma's way), RSA-2048 CA;
 * each against its ceiling: crypto.sign with the same CA KeyObject over a buffer of the TBS's size.
 * Also shows where the time goes: minting alone (template + signature), the CSR check, the output check.
 * Build and run: `npx swc libs bench -d dist --quiet && node dist/bench/issuance/in-process.bench.js`.
 */
import { createPrivateKey, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import {
  IssuedCheck,
  SigningCa,
  checkIssued,
  createBuiltinCa,
  createCsr,
  generateLeafKey,
  selfSignedCaCertificate,
  verifyCsr,
} from '@meshtls/pki';
import {
  formatRate,
  formatRatio,
  measureRoundAsync,
  runInterleavedTimed,
  type Scenario,
} from './bench-harness';
import { median } from '../stats';

const ROUNDS = Number(process.argv[2] ?? 5);
const ROUND_MS = Number(process.argv[3] ?? 500);
const DAY_MS = 86_400_000;
const IN_FLIGHT = 16;
const URIS = [
  'spiffe://default/backend',
  'kuma://kuma.io/protocol/http',
  'kuma://kuma.io/zone/east',
  'kuma://version/v2',
];

interface CaUnderTest {
  readonly label: string;
  /** Checks what it mints natively (the default). */
  readonly ca: SigningCa;
  /** The same CA checking with X509Certificate. */
  readonly caX509: SigningCa;
  readonly key: KeyObject;
}

function underTest(label: string, certChainPem: string, keyPem: string): CaUnderTest {
  return {
    label,
    ca: SigningCa.load({ certChainPem, keyPem }),
    caX509: SigningCa.load({ certChainPem, keyPem, check: IssuedCheck.X509 }),
    key: createPrivateKey(keyPem),
  };
}

async function rsaCa(): Promise<CaUnderTest> {
  const made = await createBuiltinCa({
    mesh: 'default',
    backend: 'ca-1',
    rsaBits: 2048,
    validityMs: 3650 * DAY_MS,
    now: new Date(),
  });
  return underTest('RSA-2048 CA', made.certPem, made.keyPem);
}

function ecCa(): CaUnderTest {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const certPem = selfSignedCaCertificate({
    privateKey,
    publicKey,
    subject: { commonName: 'default' },
    uris: ['spiffe://default'],
    validityMs: 3650 * DAY_MS,
    now: new Date(),
  });
  const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  return underTest('EC P-256 CA', certPem, keyPem);
}

/** Length of the TBSCertificate inside a certificate DER (both lengths in two-byte long form). */
function tbsLength(certDer: Buffer): number {
  return 4 + certDer.readUInt16BE(6);
}

/** Distinct CSRs with EC P-256 keys, cycled through so no cache flatters the CSR check. */
function ecCsrs(count: number): string[] {
  return Array.from({ length: count }, () => createCsr(generateKeyPairSync('ec', { namedCurve: 'P-256' })));
}

function csrScenarios(subject: CaUnderTest, csrs: readonly string[]): Scenario[] {
  const { ca, caX509, key } = subject;
  const request = (publicKey: KeyObject) => ({
    publicKey,
    uris: URIS,
    validityMs: 30 * DAY_MS,
    now: new Date(),
  });
  const leafKey = verifyCsr(csrs[0]);
  const tbs = randomBytes(tbsLength(ca.mintUnchecked(request(leafKey)).certDer));
  const issued = ca.issue(request(leafKey));
  let i = 0;
  const next = () => csrs[i++ % csrs.length];
  const label = subject.label;
  return [
    { name: `ceiling ${label}`, op: () => sign('sha256', tbs, key) },
    { name: `issue ${label}`, op: () => ca.issue(request(verifyCsr(next()))) },
    { name: `issue-x509 ${label}`, op: () => caX509.issue(request(verifyCsr(next()))) },
    { name: `issue-known ${label}`, op: () => ca.issue(request(leafKey)) },
    { name: `mint ${label}`, op: () => ca.mintUnchecked(request(leafKey)) },
    { name: `csr ${label}`, op: () => verifyCsr(next()) },
    {
      name: `check ${label}`,
      op: () => checkIssued({ certPem: issued.certPem, ca, expectedUris: URIS, now: new Date() }),
    },
  ];
}

/**
 * Each figure with its ratio to the ceiling, by wall clock (the figure) and, after it, by CPU time: the
 * second holds when other work on the machine takes cores away from the benchmark.
 */
function report(
  label: string,
  measured: { rates: Map<string, number>; cpuRates: Map<string, number> },
  tag: string,
): void {
  const rate = (name: string, rates = measured.rates) => rates.get(`${name} ${label}`) ?? NaN;
  const ceiling = rate('ceiling');
  const cpuRatio = (name: string) => rate(name, measured.cpuRates) / rate('ceiling', measured.cpuRates);
  const line = (what: string, name: string, ratio = true) =>
    console.log(
      `  ${what.padEnd(58)} ${formatRate(rate(name))}${ratio ? `   ${formatRatio(rate(name) / ceiling)} of ceiling (by CPU time ${formatRatio(cpuRatio(name))})` : ''}`,
    );
  console.log(`\n${tag} CSR with an EC P-256 key, ${label}`);
  line('ceiling: crypto.sign over a same-size TBS', 'ceiling', false);
  line('issue: verifyCsr + template + sign + native check', 'issue');
  line('issue: verifyCsr + template + sign + X509Certificate check', 'issue-x509');
  line('  without the CSR: template + sign + native check', 'issue-known');
  line('  mint alone: template + sign', 'mint');
  line('  verifyCsr alone (EC key import + ECDSA verify)', 'csr', false);
  line('  checkIssued alone (X509Certificate parse + verify)', 'check', false);
}

async function controlPlaneKey(subject: CaUnderTest, rsaCeiling: number): Promise<void> {
  const op = async () => {
    const leaf = await generateLeafKey('rsa-2048');
    subject.ca.issue({ publicKey: leaf.publicKey, uris: URIS, validityMs: 30 * DAY_MS, now: new Date() });
  };
  const samples: number[] = [];
  for (let round = 0; round < 3; round++) {
    samples.push(await measureRoundAsync(op, 1_000));
  }
  const rate = median(samples);
  console.log(`\n(c) control-plane-made RSA-2048 key, ${subject.label}`);
  console.log(
    `  ${'issue: generateLeafKey + template + sign + check'.padEnd(58)} ${formatRate(rate)}   ${formatRatio(rate / rsaCeiling)} of ceiling`,
  );
}

const signAsync = promisify(sign) as (hash: string, data: Buffer, key: KeyObject) => Promise<Buffer>;

/** Operations per second with `inFlight` async operations outstanding for `roundMs`. */
async function measureInFlight(
  op: () => Promise<unknown>,
  inFlight: number,
  roundMs: number,
): Promise<number> {
  const deadline = performance.now() + roundMs;
  let count = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (performance.now() < deadline) {
        await op();
        count++;
      }
    }),
  );
  return count / ((performance.now() - started) / 1000);
}

/**
 * (d) The whole process, as ca-signer runs it: issueAsync puts an RSA CA's signature on libuv's thread
 * pool, so the event loop stays free and both cores sign. Compared with crypto.sign run the same way.
 */
async function wholeProcess(subject: CaUnderTest, csrs: readonly string[]): Promise<void> {
  const tbs = randomBytes(420);
  let i = 0;
  const issue = () =>
    subject.ca.issueAsync({
      publicKey: verifyCsr(csrs[i++ % csrs.length]),
      uris: URIS,
      validityMs: 30 * DAY_MS,
      now: new Date(),
    });
  const ceiling: number[] = [];
  const issued: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    ceiling.push(await measureInFlight(() => signAsync('sha256', tbs, subject.key), IN_FLIGHT, ROUND_MS));
    issued.push(await measureInFlight(issue, IN_FLIGHT, ROUND_MS));
  }
  const [c, r] = [median(ceiling), median(issued)];
  console.log(`\n(d) whole process, ${IN_FLIGHT} in flight, CSR with an EC P-256 key, ${subject.label}`);
  console.log(`  ${'ceiling: async crypto.sign (thread pool, every core)'.padEnd(58)} ${formatRate(c)}`);
  console.log(
    `  ${'issueAsync: verifyCsr + template + sign (pool) + check'.padEnd(58)} ${formatRate(r)}   ${formatRatio(r / c)} of ceiling`,
  );
}

async function main(): Promise<void> {
  const started = Date.now();
  console.log(
    `in-process issuance, one core; ${ROUNDS} interleaved rounds of ${ROUND_MS} ms, medians; Node ${process.version}`,
  );
  const csrs = ecCsrs(256);
  const rsa = await rsaCa();
  const ec = ecCa();
  const rsaRates = runInterleavedTimed(csrScenarios(rsa, csrs), ROUNDS, ROUND_MS);
  report(rsa.label, rsaRates, '(a)');
  const ecRates = runInterleavedTimed(csrScenarios(ec, csrs), ROUNDS, ROUND_MS);
  report(ec.label, ecRates, '(b)');
  await controlPlaneKey(rsa, rsaRates.rates.get(`ceiling ${rsa.label}`) ?? NaN);
  await wholeProcess(rsa, csrs);
  console.log(`\ndone in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
