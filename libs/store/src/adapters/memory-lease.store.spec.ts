import { describeLeaseStoreContract } from '../testing/lease-store.contract';
import { MemoryLeaseStore } from './memory-lease.store';

describeLeaseStoreContract('memory', async (clock) => new MemoryLeaseStore(clock));
