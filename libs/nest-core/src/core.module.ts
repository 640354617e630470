import {
  Global,
  Inject,
  Logger,
  Module,
  type DynamicModule,
  type FactoryProvider,
  type OnApplicationShutdown,
  type OnModuleInit,
  type ValueProvider,
} from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { instanceLifecycle, pingContracts, type AppRole } from '@meshtls/contracts';
import type { Subscription } from '@meshtls/bus';
import { systemClock, type Clock } from '@meshtls/util';
import type { CoreConfig } from './config/core-config';
import { HealthController } from './health/health.controller';
import { HealthDegradations } from './health/health-degradations';
import { storeRejectionReporter } from './health/store-rejections.reporter';
import { MetricsController } from './metrics/metrics.controller';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { createInfrastructure, type Infrastructure } from './infra/infrastructure';
import { heapTrimmerFor, HEAP_TRIMMER, type HeapTrimmer } from './runtime/heap-trim.provider';
import {
  CLOCK,
  CORE_CONFIG,
  HEALTH_DEGRADATIONS,
  INFRASTRUCTURE,
  INSTANCE_INFO,
  LEASE_STORE,
  MESSAGE_BUS,
  METRICS,
  RESOURCE_STORE,
  SECRET_CIPHER,
  type InstanceInfo,
} from './tokens';

export interface CoreModuleOptions {
  readonly config: CoreConfig;
  /** The roles this process runs: each answers its ping on the bus in its own queue group. */
  readonly roles: readonly AppRole[];
  readonly clock?: Clock;
}

/**
 * Shared infrastructure of every process: configuration, clock, stores and bus (adapters chosen by run
 * mode), logging with credentials redacted, health endpoints, and presence on the bus.
 */
@Global()
@Module({})
export class CoreModule implements OnModuleInit, OnApplicationShutdown {
  private readonly subscriptions: Subscription[] = [];

  constructor(
    @Inject(INFRASTRUCTURE) private readonly infra: Infrastructure,
    @Inject(INSTANCE_INFO) private readonly instance: InstanceInfo,
    @Inject(HEAP_TRIMMER) private readonly heapTrimmer: HeapTrimmer,
  ) {}

  static forRoot(options: CoreModuleOptions): DynamicModule {
    const clock = options.clock ?? systemClock;
    const degradations = new HealthDegradations(() => clock.now());
    const instance: InstanceInfo = Object.freeze({
      instanceId: options.config.instanceId,
      roles: [...options.roles],
      startedAt: clock.now().toISOString(),
    });
    // Every provider is exported: the role modules inject them.
    const providers: (ValueProvider | FactoryProvider)[] = [
      { provide: CORE_CONFIG, useValue: options.config },
      { provide: CLOCK, useValue: clock },
      { provide: INSTANCE_INFO, useValue: instance },
      { provide: HEALTH_DEGRADATIONS, useValue: degradations },
      {
        provide: INFRASTRUCTURE,
        useFactory: (metrics: Registry) =>
          createInfrastructure(options.config, clock, {
            rejections: storeRejectionReporter(metrics, degradations, new Logger('store')),
            degradations,
          }),
        inject: [METRICS],
      },
      { provide: RESOURCE_STORE, useFactory: (i: Infrastructure) => i.resources, inject: [INFRASTRUCTURE] },
      { provide: LEASE_STORE, useFactory: (i: Infrastructure) => i.leases, inject: [INFRASTRUCTURE] },
      { provide: MESSAGE_BUS, useFactory: (i: Infrastructure) => i.bus, inject: [INFRASTRUCTURE] },
      { provide: SECRET_CIPHER, useFactory: (i: Infrastructure) => i.cipher, inject: [INFRASTRUCTURE] },
      { provide: METRICS, useFactory: () => processRegistry(options.roles) },
      {
        provide: HEAP_TRIMMER,
        useFactory: (m: Registry) => heapTrimmerFor(options.config, m),
        inject: [METRICS],
      },
    ];
    return {
      module: CoreModule,
      imports: [LoggerModule.forRoot(loggerOptions(options.config))],
      controllers: [HealthController, MetricsController],
      providers,
      exports: providers.map((p) => p.provide),
    };
  }

  async onModuleInit(): Promise<void> {
    this.heapTrimmer.start();
    for (const role of this.instance.roles as AppRole[]) {
      this.subscriptions.push(
        this.infra.bus.serve(
          pingContracts[role],
          async () => ({ role, instance: this.instance.instanceId, startedAt: this.instance.startedAt }),
          { queue: role },
        ),
      );
      await this.announce(role, 'started');
    }
  }

  async onApplicationShutdown(): Promise<void> {
    this.heapTrimmer.stop();
    for (const role of this.instance.roles as AppRole[])
      await this.announce(role, 'stopping').catch(() => undefined);
    for (const s of this.subscriptions) await s.unsubscribe().catch(() => undefined);
    await this.infra.close();
  }

  private announce(role: AppRole, state: 'started' | 'stopping'): Promise<void> {
    return this.infra.bus.publish(instanceLifecycle, {
      role,
      instance: this.instance.instanceId,
      state,
      at: new Date().toISOString(),
    });
  }
}

/** A registry per process with Node's default metrics, every series labelled with the process's roles. */
function processRegistry(roles: readonly string[]): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ roles: [...roles].sort().join(',') });
  collectDefaultMetrics({ register: registry });
  return registry;
}

function loggerOptions(config: CoreConfig) {
  return {
    pinoHttp: {
      level: config.logLevel,
      name: config.instanceId,
      // Request logs would otherwise carry bearer tokens; bodies (which may hold secrets) are never logged.
      redact: { paths: ['req.headers.authorization', 'req.headers.cookie'], censor: '[redacted]' },
      autoLogging: false,
    },
  };
}
