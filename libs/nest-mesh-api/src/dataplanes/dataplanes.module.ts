import { Module, type DynamicModule } from '@nestjs/common';
import { DataplaneTokenService, tokenAllows } from '@meshtls/application';
import { CLOCK, RESOURCE_STORE } from '@meshtls/nest-core';
import type { ResourceStore } from '@meshtls/store';
import type { Clock } from '@meshtls/util';
import { DataplaneStreamService } from './dataplane-stream.service';
import type { DpServerConfig } from './dp-server.config';
import { DATAPLANE_AUTHORIZER, DATAPLANE_TOKEN_VERIFIER, DP_SERVER_CONFIG } from './dataplanes.tokens';

/**
 * mesh-api's dataplane endpoint (gRPC over TLS): admits dataplanes with their tokens, hands out and
 * rotates their certificates. Needs CoreModule in the same application.
 */
@Module({})
export class DataplaneEndpointModule {
  static forRoot(config: DpServerConfig): DynamicModule {
    return {
      module: DataplaneEndpointModule,
      providers: [
        { provide: DP_SERVER_CONFIG, useValue: config },
        {
          provide: DATAPLANE_TOKEN_VERIFIER,
          inject: [RESOURCE_STORE, CLOCK],
          useFactory: (store: ResourceStore, clock: Clock) => new DataplaneTokenService(store, clock),
        },
        { provide: DATAPLANE_AUTHORIZER, useValue: tokenAllows },
        DataplaneStreamService,
      ],
      exports: [DataplaneStreamService],
    };
  }
}
