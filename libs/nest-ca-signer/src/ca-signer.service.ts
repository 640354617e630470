import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import {
  AdmissionController,
  EnsureCaBackendsUseCase,
  IssueCertificateUseCase,
  IssuePriority,
  IssueRequestLedger,
  MtlsKeySeal,
  UnsealedKeyError,
  StaleIssueRequestError,
  TrustBundleQuery,
  ValidateMtlsUseCase,
  type CaRegistry,
} from '@meshtls/application';
import {
  ensureCaBackends,
  issueCertificate,
  trustBundle,
  validateMtls,
  type ReplyOf,
} from '@meshtls/contracts';
import { MESSAGE_BUS, METRICS, RESOURCE_STORE, SECRET_CIPHER } from '@meshtls/nest-core';
import type { Registry } from 'prom-client';
import { caSignerMetrics } from './ca-signer.metrics';
import type { MessageBus, Subscription } from '@meshtls/bus';
import type { ResourceStore, SecretEncryption } from '@meshtls/store';
import { ADMISSION, CA_REGISTRY, ENSURE_CA, ISSUE_CERTIFICATE, VALIDATE_MTLS } from './ca-signer.tokens';

const QUEUE = 'ca-signer';

type IssueReply = ReplyOf<typeof issueCertificate>;

/** Serves ca-signer's contracts on the bus; issuance goes through admission control. */
@Injectable()
export class CaSignerService implements OnModuleInit, OnApplicationShutdown {
  private readonly subscriptions: Subscription[] = [];
  private readonly logger = new Logger(CaSignerService.name);
  /** Requests asked again (their first answer was lost) get the certificate already made for them. */
  private readonly ledger = new IssueRequestLedger<IssueReply>();
  private stopWatch?: () => void;

  constructor(
    @Inject(MESSAGE_BUS) private readonly bus: MessageBus,
    @Inject(RESOURCE_STORE) private readonly store: ResourceStore,
    @Inject(CA_REGISTRY) private readonly registry: CaRegistry,
    @Inject(ADMISSION) private readonly admission: AdmissionController,
    @Inject(VALIDATE_MTLS) private readonly validate: ValidateMtlsUseCase,
    @Inject(ENSURE_CA) private readonly ensure: EnsureCaBackendsUseCase,
    @Inject(ISSUE_CERTIFICATE) private readonly issue: IssueCertificateUseCase,
    @Inject(METRICS) private readonly metrics: Registry,
    @Inject(SECRET_CIPHER) private readonly cipher: SecretEncryption,
  ) {}

  onModuleInit(): void {
    const queue = { queue: QUEUE };
    const keys = new MtlsKeySeal(this.cipher);
    const trust = new TrustBundleQuery(this.store, this.registry);
    const metrics = caSignerMetrics(this.metrics, {
      admission: this.admission,
      store: this.store,
      trust,
      repeats: () => this.ledger.repeats,
    });
    this.subscriptions.push(
      // A provided CA's inline key comes sealed by mesh-api; one that does not is refused, never used.
      this.bus.serve(
        validateMtls,
        async (request) => {
          let mtls: unknown;
          try {
            mtls = keys.open(request.mesh, request.mtls);
          } catch (error) {
            if (!(error instanceof UnsealedKeyError)) throw error;
            this.logger.warn(`validate-mtls for mesh ${request.mesh}: ${error.message}`);
            return { violations: [{ field: 'mtls', message: error.message }], warnings: [] };
          }
          return this.validate.execute({ ...request, mtls });
        },
        queue,
      ),
      this.bus.serve(
        ensureCaBackends,
        (request) => this.ensure.execute({ ...request, mtls: keys.open(request.mesh, request.mtls) }),
        queue,
      ),
      this.bus.serve(
        trustBundle,
        async (request) => ({ trustBundle: await trust.execute(request.mesh) }),
        queue,
      ),
      this.bus.serve(
        issueCertificate,
        (request) =>
          this.ledger.run(
            request.requestId,
            `${request.mesh}/${request.dataplane}`,
            async (): Promise<IssueReply> => {
              // A dataplane that is new or restarted holds no certificate; every other one still has a valid one.
              const first = request.reason === 'new' || request.reason === 'restart';
              const priority = first ? IssuePriority.First : IssuePriority.Renewal;
              let result;
              try {
                result = await this.admission.run(priority, () => this.issue.execute(request));
              } catch (error) {
                if (!(error instanceof StaleIssueRequestError)) throw error;
                this.logger.log(`not signed (request ${request.requestId}): ${error.message}`);
                return { status: 'stale', reason: error.message };
              }
              if (!result.admitted) {
                return { status: 'shed', retryAfterMs: result.retryAfterMs, reason: result.reason };
              }
              const { certificate } = result.value;
              metrics.signed(request.mesh, certificate.backend, request.reason);
              this.logger.debug(
                `signed ${certificate.serial} for ${request.mesh}/${request.dataplane} (${request.reason}, request ${request.requestId})`,
              );
              return { status: 'issued', ...result.value };
            },
            (reply) => reply.status === 'issued',
          ),
        queue,
      ),
    );
    this.stopWatch = this.registry.followChanges(this.store);
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopWatch?.();
    this.admission.close();
    for (const s of this.subscriptions) await s.unsubscribe().catch(() => undefined);
  }
}
