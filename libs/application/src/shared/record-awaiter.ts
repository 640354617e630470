import { formatKey, type ResourceKey, type ResourceRecord } from '@meshtls/domain';
import type { ResourceStore } from '@meshtls/store';

/**
 * The record of `key`, waiting up to `timeoutMs` for it to appear when the store does not hold it yet.
 * A replica's store learns of other replicas' writes a moment after they happen: a Dataplane that
 * mesh-api registered just before asking ca-signer to sign for it may not have reached ca-signer's
 * store yet (a busy or briefly paused process catches up on its watch). Resolves undefined if it does
 * not come in time. With `minVersion`, waits the same way for a version at least that (a requester
 * that acted on a revision this store has not caught up with yet), and resolves what the store holds
 * when it does not come in time.
 */
export async function recordOrWait(
  store: ResourceStore,
  key: ResourceKey,
  timeoutMs: number,
  minVersion = 0,
): Promise<ResourceRecord | undefined> {
  const enough = (record: ResourceRecord | undefined): record is ResourceRecord =>
    record !== undefined && record.meta.version >= minVersion;
  const now = await store.get(key);
  if (enough(now) || timeoutMs <= 0) return now;
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
      if (change.kind === 'upsert' && formatKey(change.record.meta) === wanted && enough(change.record))
        finish(change.record);
    });
    const timer = setTimeout(() => void store.get(key).then(finish, () => finish(undefined)), timeoutMs);
    // Written between the first read and the watch: read once more now that the watch is on.
    void store.get(key).then((record) => enough(record) && finish(record));
  });
}
