import { Module, type DynamicModule } from '@nestjs/common';
import {
  AdmissionController,
  BuiltinCaManager,
  CaRegistry,
  DataSourceReader,
  EnsureCaBackendsUseCase,
  IssueCertificateUseCase,
  ProvidedCaManager,
  ValidateMtlsUseCase,
} from '@meshtls/application';
import { CLOCK, RESOURCE_STORE, configuredModule } from '@meshtls/nest-core';
import type { ResourceStore } from '@meshtls/store';
import type { Clock } from '@meshtls/util';
import type { CaSignerConfig } from './ca-signer.config';
import { CaSignerService } from './ca-signer.service';
import {
  ADMISSION,
  CA_REGISTRY,
  CA_SIGNER_CONFIG,
  ENSURE_CA,
  ISSUE_CERTIFICATE,
  VALIDATE_MTLS,
} from './ca-signer.tokens';

/**
 * The ca-signer role: the only one that reads CA private keys. Creates builtin CAs, validates provided
 * ones, signs dataplane certificates (queue group "ca-signer", admission-controlled).
 */
@Module({})
export class CaSignerModule {
  static forRoot(config: CaSignerConfig): DynamicModule {
    return configuredModule(CaSignerModule, CA_SIGNER_CONFIG, config, [
      {
        provide: CA_REGISTRY,
        inject: [RESOURCE_STORE, CLOCK],
        useFactory: (store: ResourceStore, clock: Clock) =>
          new CaRegistry({
            builtin: new BuiltinCaManager(store, clock),
            provided: new ProvidedCaManager(new DataSourceReader(store), clock),
          }),
      },
      { provide: ADMISSION, useFactory: () => new AdmissionController(config.admission) },
      {
        provide: VALIDATE_MTLS,
        inject: [CA_REGISTRY],
        useFactory: (r: CaRegistry) => new ValidateMtlsUseCase(r),
      },
      {
        provide: ENSURE_CA,
        inject: [CA_REGISTRY],
        useFactory: (r: CaRegistry) => new EnsureCaBackendsUseCase(r),
      },
      {
        provide: ISSUE_CERTIFICATE,
        inject: [RESOURCE_STORE, CA_REGISTRY, CLOCK],
        useFactory: (store: ResourceStore, r: CaRegistry, clock: Clock) =>
          new IssueCertificateUseCase(store, r, clock),
      },
      CaSignerService,
    ]);
  }
}
