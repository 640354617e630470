#!/usr/bin/env node
import { createServer } from 'node:http';
import { Command, InvalidArgumentError } from 'commander';
import { backoffDelay, findReadyControlPlane } from './control-plane-probe';
import { loadDataplaneFile, parseCpAddress } from './dataplane-options';

/**
 * The dataplane sidecar. This first version validates its Dataplane resource, finds a ready control plane
 * (failing over between several `--cp-address` values with jittered backoff) and reports readiness on its
 * admin port; the identity stream and the mTLS proxy build on this.
 */
const program = new Command('dataplane').description(
  'the mesh sidecar: identity from the control plane, mTLS proxy for the workload',
);

program
  .command('run')
  .description('connect to the control plane and serve the workload')
  .requiredOption(
    '--cp-address <url>',
    'control plane URL; repeat for failover candidates',
    (v, p: string[]) => wrap(() => parseCpAddress(v, p)),
    [],
  )
  .requiredOption('--dataplane-file <path>', 'the Dataplane resource (YAML or JSON)')
  .option('--admin-address <address>', 'address of the admin server (/ready)', '127.0.0.1')
  .option('--admin-port <port>', 'port of the admin server', (v) => wrap(() => parsePort(v)), 9901)
  .action(
    async (opts: { cpAddress: string[]; dataplaneFile: string; adminAddress: string; adminPort: number }) => {
      const dataplane = wrapFatal(() => loadDataplaneFile(opts.dataplaneFile));
      let connected: string | undefined;
      const admin = createServer((req, res) => {
        const ready = req.url === '/ready' && connected !== undefined;
        res.writeHead(req.url === '/ready' ? (ready ? 200 : 503) : 404, {
          'content-type': 'application/json',
        });
        res.end(JSON.stringify({ ready, controlPlane: connected ?? null, dataplane: dataplane.key }));
      });
      admin.listen(opts.adminPort, opts.adminAddress, () => {
        process.stdout.write(
          `dataplane ${dataplane.key.mesh}/${dataplane.key.name} admin listening on http://${opts.adminAddress}:${opts.adminPort}\n`,
        );
      });
      for (let attempt = 0; connected === undefined; attempt++) {
        connected = await findReadyControlPlane(opts.cpAddress);
        if (connected) process.stdout.write(`control plane ready at ${connected}\n`);
        else await new Promise((r) => setTimeout(r, backoffDelay(attempt)));
      }
      const stop = () => admin.close(() => process.exit(0));
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    },
  );

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

function wrapFatal<T>(fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    process.stderr.write(`Error: ${(error as Error).message}\n`);
    process.exit(1);
  }
}

void program.parseAsync(process.argv);
