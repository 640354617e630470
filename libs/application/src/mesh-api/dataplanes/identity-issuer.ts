import { randomUUID } from 'node:crypto';
import { issueCertificate, type IssueReason, type TrustAnchorDto } from '@meshtls/contracts';
import { KeyType, type CaSwitchSpec, type MeshSpec } from '@meshtls/domain';
import type { MessageBus } from '@meshtls/bus';
import { createCsr, generateLeafKey } from '@meshtls/pki';
import { MeshError, TimeoutError, backoffDelay, retryWithBackoff, type BackoffPolicy } from '@meshtls/util';
import { StaleIssueRequestError, type IssueCertificateResult } from '../../ports/issue-certificate.contract';

export interface IssueIdentityCommand {
  readonly mesh: string;
  readonly dataplane: string;
  readonly csrPem?: string;
  readonly reason: IssueReason;
}

export interface IssuedIdentity extends IssueCertificateResult {
  /** Only for a dataplane that sent no CSR: the key made for it here, which never crossed the bus. */
  readonly keyPem?: string;
}

/** What is signed: a CSR, and the facts mesh-api acted on (see `issueCertificate`). */
export type SignCommand = IssueIdentityCommand & {
  readonly csrPem: string;
  readonly meshVersion: number;
  readonly dataplaneVersion: number;
  readonly backend: string;
};

/** Gets a dataplane certificate, wherever it is signed, and the trust bundle that goes with it. */
export interface IdentityIssuer {
  issue(command: IssueIdentityCommand): Promise<IssuedIdentity>;
  /**
   * The anchors of every backend of `mesh` as `spec` names them, and of the backends a CA switch still
   * keeps trusted, for a bundle that changes alone.
   */
  trustBundle(mesh: string, spec: MeshSpec, caSwitch?: CaSwitchSpec): Promise<TrustAnchorDto[]>;
}

/**
 * Signs with the dataplane's CSR; for a dataplane that sends none (Kuma's way), makes an RSA-2048 key
 * and its CSR here, in mesh-api, so ca-signer signs a CSR like any other and no private key is ever
 * on the bus.
 */
export async function issueWithCsr(
  command: { readonly csrPem?: string },
  sign: (csrPem: string) => Promise<IssueCertificateResult>,
): Promise<IssuedIdentity> {
  if (command.csrPem !== undefined) return sign(command.csrPem);
  const key = await generateLeafKey(KeyType.Rsa2048);
  return { ...(await sign(createCsr(key))), keyPem: key.privateKeyPem };
}

export class IssueDeadlineError extends MeshError {
  readonly code = 'dataplane.issue-deadline';
}

export interface BusIdentityIssuerOptions {
  /** Requests in flight from this replica; the rest wait here instead of flooding the bus. */
  readonly maxInFlight?: number;
  /** How long one certificate may take, shed retries included. */
  readonly deadlineMs?: number;
  /**
   * How long one attempt waits for ca-signer's answer before asking again (a ca-signer that died with the
   * request). Longer than ca-signer's own queue wait (MESH_CA_MAX_WAIT_MS), after which it answers `shed`.
   */
  readonly attemptTimeoutMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
  /** Told of every attempt asked again, and why: nobody answered it, or ca-signer shed it. */
  readonly onRetry?: (cause: 'unanswered' | 'shed') => void;
}

/** ca-signer shed the request: asked again after `retryAfterMs`. Never leaves `BusIdentityIssuer`. */
class ShedAnswer extends Error {
  constructor(
    reason: string,
    readonly retryAfterMs: number,
  ) {
    super(reason);
  }
}

/** Pause after an attempt that got no answer: 100 ms doubling up to 2 s, ±12.5 %. */
const UNANSWERED_BACKOFF: BackoffPolicy = { baseMs: 100, capMs: 2_000, jitter: { spread: 0.125 } };

/**
 * Asks ca-signer (over the bus) to sign; `VerifyingIdentityIssuer` decides what to ask and checks the answer. When ca-signer sheds a request it says how long to
 * wait; this waits that long (with jitter, so a fleet does not come back in step) and asks again, until
 * the deadline. An attempt nobody answers (the ca-signer that took it died, or none is up) is asked again
 * under the same request id, which ca-signer answers with the certificate it already made for it, if it
 * made one: one request, one certificate. A bounded number of requests are in flight per replica.
 */
export class BusIdentityIssuer {
  private inFlight = 0;
  private readonly waiting: (() => void)[] = [];
  private readonly maxInFlight: number;
  private readonly deadlineMs: number;
  private readonly attemptTimeoutMs: number | undefined;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => number;
  private readonly onRetry: (cause: 'unanswered' | 'shed') => void;

  constructor(
    private readonly bus: MessageBus,
    options: BusIdentityIssuerOptions = {},
  ) {
    this.maxInFlight = options.maxInFlight ?? 64;
    this.deadlineMs = options.deadlineMs ?? 120_000;
    this.attemptTimeoutMs = options.attemptTimeoutMs;
    this.sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.now = options.now ?? Date.now;
    this.onRetry = options.onRetry ?? (() => undefined);
  }

  /**
   * ca-signer's answer for a CSR, as it came (see VerifyingIdentityIssuer for the checked one). An answer
   * `stale` is a StaleIssueRequestError.
   */
  async sign(command: SignCommand): Promise<IssueCertificateResult> {
    const requestId = randomUUID();
    const timeout = this.attemptTimeoutMs === undefined ? undefined : { timeoutMs: this.attemptTimeoutMs };
    let unanswered = 0;
    return retryWithBackoff(
      async () => {
        const reply = await this.withSlot(() =>
          this.bus.request(issueCertificate, { ...command, requestId }, timeout),
        );
        if (reply.status === 'issued')
          return { certificate: reply.certificate, trustBundle: reply.trustBundle };
        if (reply.status === 'stale') throw new StaleIssueRequestError(reply.reason);
        throw new ShedAnswer(reply.reason, reply.retryAfterMs);
      },
      {
        policy: UNANSWERED_BACKOFF,
        deadline: this.now() + this.deadlineMs,
        retryable: (error) => error instanceof TimeoutError || error instanceof ShedAnswer,
        // A shed request waits what ca-signer says (with jitter, so a fleet does not come back in step);
        // an unanswered one backs off by the unanswered attempts alone.
        delayOf: (error) =>
          error instanceof ShedAnswer
            ? error.retryAfterMs * (1 + Math.random() * 0.25)
            : backoffDelay(unanswered++, UNANSWERED_BACKOFF),
        giveUp: (error) =>
          new IssueDeadlineError(
            `no certificate for ${command.mesh}/${command.dataplane} within ${this.deadlineMs} ms: ${(error as Error).message}`,
          ),
        onRetry: (error) => this.onRetry(error instanceof ShedAnswer ? 'shed' : 'unanswered'),
        now: this.now,
        sleep: this.sleep,
      },
    );
  }

  private async withSlot<T>(task: () => Promise<T>): Promise<T> {
    if (this.inFlight >= this.maxInFlight) await new Promise<void>((r) => this.waiting.push(r));
    else this.inFlight++;
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.inFlight--;
    }
  }
}
