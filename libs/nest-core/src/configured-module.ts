import type { DynamicModule, Provider, Type } from '@nestjs/common';

/**
 * What a role module's `forRoot(config)` returns: `config` provided under `token`, beside the module's
 * own providers (whose factories may read it directly) and what it exports.
 */
export function configuredModule<C>(
  module: Type<unknown>,
  token: symbol,
  config: C,
  providers: Provider[],
  exports: DynamicModule['exports'] = [],
): DynamicModule {
  return { module, providers: [{ provide: token, useValue: config }, ...providers], exports };
}
