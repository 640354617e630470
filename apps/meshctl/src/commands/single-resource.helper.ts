import type { ApiClient, UniversalDoc } from '../api-client';
import { ApiError } from '../cli-errors';
import { describeRef, resourcePath, type ResourceRef } from '../resources/resource-ref';

/** Reads one resource; the API's bare "Not found" becomes a message naming what was not found. */
export async function getOne(client: ApiClient, ref: ResourceRef): Promise<UniversalDoc> {
  try {
    return await client.get(resourcePath(ref));
  } catch (err) {
    throw namedNotFound(err, ref);
  }
}

export async function deleteOne(client: ApiClient, ref: ResourceRef): Promise<void> {
  try {
    await client.delete(resourcePath(ref));
  } catch (err) {
    throw namedNotFound(err, ref);
  }
}

function namedNotFound(err: unknown, ref: ResourceRef): unknown {
  if (err instanceof ApiError && err.status === 404) {
    return new ApiError(404, `${describeRef(ref)} not found`, err.causes, err.title);
  }
  return err;
}
