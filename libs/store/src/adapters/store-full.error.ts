import { MeshError } from '@meshtls/util';

/** The store cannot take a write for lack of space (a full disk); nothing was written. Retryable. */
export class StoreFullError extends MeshError {
  readonly code = 'store.full';
}
