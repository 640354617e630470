import { describeResourceStoreContract } from '../testing/resource-store.contract';
import { MemoryResourceStore } from './memory-resource.store';

describeResourceStoreContract('memory', async (clock) => ({ store: new MemoryResourceStore(clock) }));
