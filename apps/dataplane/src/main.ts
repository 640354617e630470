#!/usr/bin/env node
import { Command, InvalidArgumentError, Option } from 'commander';
import { DataplaneAgent, DataplaneProxy } from '@meshtls/dataplane-agent';
import { KEY_TYPES, parseDuration, type KeyType } from '@meshtls/domain';
import { startAdminServer } from './admin.server';
import { proxyMetrics } from './proxy-metrics';
import { loadDataplaneFile, parseCpAddress, readOption } from './dataplane-options';

/**
 * The dataplane sidecar: holds one identity stream to the control plane (failing over between several
 * `--cp-address` values), makes its own keys, keeps its certificate in memory (and in `--cert-dir` for
 * applications doing TLS themselves), and reports on its admin port. The mTLS proxy builds on this.
 */
const program = new Command('dataplane').description(
  'the mesh sidecar: identity from the control plane, mTLS for the workload',
);

interface RunOptions {
  cpAddress: string[];
  dataplaneFile?: string;
  mesh?: string;
  name?: string;
  tokenFile: string;
  caCertFile: string;
  certDir?: string;
  keyType: KeyType;
  adminAddress: string;
  adminPort: number;
  inboundAddress?: string;
  serviceAddress: string;
  renewalGrace?: number;
  sessionResumption: boolean;
}

program
  .command('run')
  .description('connect to the control plane and keep this dataplane’s identity fresh')
  .addOption(
    new Option(
      '--cp-address <url>',
      'dataplane server of the control plane (https://host:5678); repeat for failover',
    )
      .env('DATAPLANE_CP_ADDRESS')
      .argParser((v: string, p: string[] | undefined) =>
        wrap(() => v.split(',').reduce((acc, one) => parseCpAddress(one, acc), p ?? [])),
      ),
  )
  .addOption(
    new Option(
      '--dataplane-file <path>',
      'the Dataplane resource (YAML or JSON), created or updated at connect',
    ).env('DATAPLANE_DATAPLANE_FILE'),
  )
  .addOption(
    new Option('--mesh <mesh>', 'mesh of an existing Dataplane (without --dataplane-file)').env(
      'DATAPLANE_MESH',
    ),
  )
  .addOption(
    new Option('--name <name>', 'name of an existing Dataplane (without --dataplane-file)').env(
      'DATAPLANE_NAME',
    ),
  )
  .addOption(
    new Option('--token-file <path>', 'dataplane token (meshctl generate dataplane-token)').env(
      'DATAPLANE_TOKEN_FILE',
    ),
  )
  .addOption(
    new Option(
      '--ca-cert-file <path>',
      'CA certificate that signed the control plane’s dataplane server',
    ).env('DATAPLANE_CA_CERT_FILE'),
  )
  .addOption(
    new Option('--cert-dir <dir>', 'also write cert.pem, key.pem and ca.pem here (mode 0600)').env(
      'DATAPLANE_CERT_DIR',
    ),
  )
  .addOption(
    new Option('--key-type <type>', 'key made for each certificate')
      .choices([...KEY_TYPES])
      .default(KEY_TYPES[0]),
  )
  .addOption(
    new Option(
      '--inbound-address <address>',
      'address the inbounds listen on (default: the Dataplane’s networking.address; 0.0.0.0 in containers)',
    ).env('DATAPLANE_INBOUND_ADDRESS'),
  )
  .addOption(
    new Option('--service-address <address>', 'address of the application behind the inbounds')
      .env('DATAPLANE_SERVICE_ADDRESS')
      .default('127.0.0.1'),
  )
  .addOption(
    new Option(
      '--renewal-grace <duration>',
      'how long past its rotation time it waits for the control plane before asking for a certificate itself (default: 10 % of the validity, at least 5s; by 95 % of it at the latest)',
    )
      .env('DATAPLANE_RENEWAL_GRACE')
      .argParser((v) => wrap(() => parseGrace(v))),
  )
  .addOption(
    new Option(
      '--no-session-resumption',
      'make a full TLS handshake for every mesh connection (no session tickets issued or offered)',
    ),
  )
  .addOption(new Option('--admin-address <address>', 'address of the admin server').default('127.0.0.1'))
  .addOption(
    new Option('--admin-port <port>', 'port of the admin server (/ready, /identity)')
      .default(9901)
      .argParser((v) => wrap(() => parsePort(v))),
  )
  .action(async (opts: RunOptions) => {
    const settings = fatalOnError(() => settingsOf(opts));
    const agent = new DataplaneAgent(settings);
    const key = `${settings.mesh}/${settings.name}`;
    const proxy = new DataplaneProxy(agent, {
      mesh: settings.mesh,
      name: settings.name,
      serviceAddress: opts.serviceAddress,
      sessionResumption: opts.sessionResumption,
      ...(opts.inboundAddress ? { inboundAddress: opts.inboundAddress } : {}),
    });
    logProxy(proxy, key);
    const admin = await startAdminServer(
      agent,
      proxy,
      proxyMetrics(agent, proxy),
      key,
      opts.adminAddress,
      opts.adminPort,
    );
    process.stdout.write(`dataplane ${key} admin listening on http://${opts.adminAddress}:${admin.port}\n`);
    agent.on('connected', (address) => process.stdout.write(`dataplane ${key}: connected to ${address}\n`));
    agent.on('identity', (id) =>
      process.stdout.write(
        `dataplane ${key}: certificate ${id.serial} from backend ${id.backend} (${id.reason}), valid until ${id.notAfter}, rotates at ${id.rotateAt}\n`,
      ),
    );
    agent.on('renewalRequested', (r) =>
      process.stdout.write(
        `dataplane ${key}: certificate ${r.serial} not rotated by ${r.renewAt} (rotation time ${r.rotateAt}, expires ${r.notAfter}): asking for a new one\n`,
      ),
    );
    agent.on('trust', () => process.stdout.write(`dataplane ${key}: trust bundle updated\n`));
    agent.on('withdrawn', (why) => process.stdout.write(`dataplane ${key}: no identity: ${why}\n`));
    agent.on('disconnected', (e) =>
      process.stderr.write(`dataplane ${key}: lost ${e.address}: ${e.details}; reconnecting\n`),
    );
    agent.on('replaced', (e) =>
      process.stderr.write(
        `dataplane ${key}: ${e.details} (${e.times} times: another process runs with this dataplane's name); trying again in ${(e.retryInMs / 1000).toFixed(1)} s\n`,
      ),
    );
    agent.on('csrRefused', (e) =>
      process.stderr.write(`dataplane ${key}: ${e.details}; connecting again with a new key\n`),
    );
    agent.on('refused', (e) => {
      process.stderr.write(`dataplane ${key}: refused by ${e.address}: ${e.details}\n`);
      // Without an identity nothing is served, and retrying cannot fix a token or a resource.
      if (!agent.identity && !agent.mtlsDisabled) {
        agent.stop();
        admin.close();
        void proxy.close();
        process.exitCode = 3;
      }
    });
    agent.start();
    const stop = () => {
      agent.stop();
      void proxy.close().then(() => admin.close(() => process.exit(0)));
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });

/**
 * A client as a log line names it: its SPIFFE IDs (the identity permissions decide on), not the
 * `kuma://` tag URIs its certificate also carries; every URI when it has no SPIFFE ID.
 */
function clientName(sanUris: readonly string[]): string {
  const spiffeIds = sanUris.filter((uri) => uri.startsWith('spiffe://'));
  return (spiffeIds.length > 0 ? spiffeIds : sanUris).join(' ');
}

/** One line per listener change and per refused connection: who called, what, and the rule that decided. */
function logProxy(proxy: DataplaneProxy, key: string): void {
  const out = (line: string) => process.stdout.write(`dataplane ${key}: ${line}\n`);
  proxy.on('listening', (e) => out(`${e.listener} listening on ${e.address}:${e.port}`));
  proxy.on('listenerError', (e) =>
    process.stderr.write(`dataplane ${key}: ${e.listener} cannot listen: ${e.message}\n`),
  );
  proxy.on('refused', (e) =>
    out(
      `refused connection to ${e.inbound} from ${clientName(e.client) || 'a client without mesh certificate'} (${e.remote}): ${e.kind}: ${e.reason}`,
    ),
  );
  proxy.on('shadowDenied', (e) =>
    out(
      `shadow deny: connection to ${e.inbound} from ${clientName(e.client)} would be denied (${e.rule}); allowed`,
    ),
  );
  let lastError = 0;
  proxy.on('outboundError', (e) => {
    // Failures come in bursts when an upstream dies: at most one line a second.
    if (Date.now() - lastError < 1000) return;
    lastError = Date.now();
    out(`outbound ${e.service}: ${e.message}`);
  });
}

function settingsOf(opts: RunOptions) {
  if (!opts.cpAddress?.length) throw new Error('--cp-address is required (or DATAPLANE_CP_ADDRESS)');
  if (!opts.tokenFile) throw new Error('--token-file is required (or DATAPLANE_TOKEN_FILE)');
  if (!opts.caCertFile) throw new Error('--ca-cert-file is required (or DATAPLANE_CA_CERT_FILE)');
  const file = opts.dataplaneFile ? loadDataplaneFile(opts.dataplaneFile) : undefined;
  const mesh = file?.parsed.key.mesh ?? opts.mesh;
  const name = file?.parsed.key.name ?? opts.name;
  if (!mesh || !name) throw new Error('give --dataplane-file, or --mesh and --name of an existing Dataplane');
  const token = readOption('--token-file', opts.tokenFile).trim();
  if (token === '') throw new Error(`--token-file ${opts.tokenFile}: empty`);
  return {
    cpAddresses: opts.cpAddress,
    caCertPem: readOption('--ca-cert-file', opts.caCertFile),
    mesh,
    name,
    token,
    keyType: opts.keyType,
    ...(file ? { dataplane: file.document } : {}),
    ...(opts.certDir ? { certDir: opts.certDir } : {}),
    ...(opts.renewalGrace === undefined ? {} : { renewalGraceMs: opts.renewalGrace }),
  };
}

/** `--renewal-grace`: a duration as a Mesh writes them (`30s`, `1h`, `0s`). */
function parseGrace(value: string): number {
  const ms = parseDuration(value);
  if (ms === undefined) throw new Error(`not a duration: ${value} (e.g. 30s, 10m, 1h)`);
  return ms;
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`not a port: ${value}`);
  return port;
}

function wrap<T>(fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
}

function fatalOnError<T>(fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    process.stderr.write(`Error: ${(error as Error).message}\n`);
    process.exit(1);
  }
}

void program.parseAsync(process.argv);
