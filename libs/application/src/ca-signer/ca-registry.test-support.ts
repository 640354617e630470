import type { ResourceStore } from '@meshtls/store';
import type { Clock } from '@meshtls/util';
import { DataSourceReader } from '../shared/data-source.reader';
import { BuiltinCaManager } from './builtin-ca.manager';
import { CaRegistry } from './ca-registry';
import { ProvidedCaManager } from './provided-ca.manager';

/**
 * Test support: the CAs of one store as ca-signer runs them, builtin ones kept in the store (by `builtin`,
 * when given) and provided ones read from their data sources.
 */
export const storeCas = (
  store: ResourceStore,
  clock: Clock,
  builtin = new BuiltinCaManager(store, clock),
) => {
  const registry = new CaRegistry({
    builtin,
    provided: new ProvidedCaManager(new DataSourceReader(store), clock),
  });
  return { builtin, registry };
};
