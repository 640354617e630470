import type { Logger } from '@nestjs/common';
import {
  BusIdentityIssuer,
  VerifyingIdentityIssuer,
  type IdentityIssuer,
  type IssuedIdentityVerifier,
} from '@meshtls/application';
import type { MessageBus } from '@meshtls/bus';
import type { DataplaneMetrics } from './dataplane-metrics';
import type { DpServerConfig } from './dp-server.config';

/** ca-signer over the bus, each answer checked against this replica's store before it is forwarded. */
export function verifiedIssuer(
  config: DpServerConfig,
  bus: MessageBus,
  verifier: IssuedIdentityVerifier,
  metrics: DataplaneMetrics,
  logger: Logger,
): IdentityIssuer {
  const overBus = new BusIdentityIssuer(bus, {
    maxInFlight: config.maxIssuesInFlight,
    attemptTimeoutMs: config.issueAttemptTimeoutMs,
    onRetry: (cause) => metrics.retried(cause),
  });
  return new VerifyingIdentityIssuer(
    (command) => overBus.sign(command),
    verifier,
    (error) => {
      logger.warn(error.message);
      metrics.rejected(error.mesh);
    },
  );
}
