import { formatKey, type ResourceKey, type ResourceRecord } from '@meshtls/domain';
import type { ResourceStore } from '@meshtls/store';

/**
 * The record of `key`, waiting up to `timeoutMs` for it to appear when the store does not hold it yet.
 * A replica's store learns of other replicas' writes a moment after they happen: a Dataplane that
 * mesh-api registered just before asking ca-signer to sign for it may not have reached ca-signer's
 * store yet (a busy or briefly paused process catches up on its watch). Resolves undefined if it does
 * not come in time.
 */
export async function recordOrWait(
  store: ResourceStore,
  key: ResourceKey,
  timeoutMs: number,
): Promise<ResourceRecord | undefined> {
  const now = await store.get(key);
  if (now !== undefined || timeoutMs <= 0) return now;
  const wanted = formatKey(key);
  return new Promise<ResourceRecord | undefined>((resolve) => {
    let done = false;
    const finish = (record: ResourceRecord | undefined) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      stop();
      resolve(record);
    };
    const stop = store.watch((change) => {
      if (change.kind === 'upsert' && formatKey(change.record.meta) === wanted) finish(change.record);
    });
    const timer = setTimeout(() => finish(undefined), timeoutMs);
    // Written between the first read and the watch: read once more now that the watch is on.
    void store.get(key).then((record) => record !== undefined && finish(record));
  });
}
