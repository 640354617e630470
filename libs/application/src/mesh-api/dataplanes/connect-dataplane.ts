import type { DataplaneHello, IssueReason } from '@meshtls/contracts';
import {
  ResourceType,
  ValidationError,
  dataplaneIdentity,
  parseResource,
  type DataplaneSpec,
  type MeshSpec,
} from '@meshtls/domain';
import type { LeaseStore, ResourceStore } from '@meshtls/store';
import { MeshError } from '@meshtls/util';
import { StreamRefusedError, StreamStatus } from './dataplane-channel.port';
import {
  DataplaneTokenError,
  type DataplaneTokenClaims,
  type DataplaneTokenVerifier,
} from './dataplane-token.port';

/** Checks that a token's claims allow this Dataplane (mesh, name, tags); throws `DataplaneTokenError`. */
export type DataplaneAuthorizer = (
  claims: DataplaneTokenClaims,
  mesh: string,
  name: string,
  spec: DataplaneSpec,
) => void;

export interface AdmittedDataplane {
  readonly mesh: MeshSpec;
  readonly spec: DataplaneSpec;
}

/**
 * The checks of a hello, in the order a user would debug them: the token (is it ours, valid, for this
 * dataplane?), the mesh, the Dataplane resource (created or updated from the hello when it carries one,
 * as kuma-dp does), the token's tags against it, and that it has an identity at all. Every refusal says
 * why, never echoing the token.
 */
export async function admitDataplane(
  hello: DataplaneHello,
  deps: { store: ResourceStore; tokens: DataplaneTokenVerifier; authorize: DataplaneAuthorizer },
): Promise<AdmittedDataplane> {
  const claims = await deps.tokens.verify(hello.token).catch((error: unknown) => {
    throw refusalOf(error, 'dataplane token');
  });
  // A token without a name (Kuma's mesh+tags tokens) is for any dataplane of its mesh.
  if (claims.mesh !== hello.mesh || (claims.name !== '' && claims.name !== hello.name)) {
    const bound = claims.name === '' ? 'any dataplane' : `dataplane "${claims.name}"`;
    throw new StreamRefusedError(
      StreamStatus.PermissionDenied,
      `dataplane token refused: it is bound to ${bound} of mesh "${claims.mesh}", not "${hello.name}" of mesh "${hello.mesh}"`,
    );
  }
  const mesh = await deps.store.get({ type: ResourceType.Mesh, name: hello.mesh });
  if (!mesh) throw new StreamRefusedError(StreamStatus.NotFound, `mesh "${hello.mesh}" not found`);
  const authorize = (candidate: DataplaneSpec) => {
    try {
      deps.authorize(claims, hello.mesh, hello.name, candidate);
    } catch (error) {
      throw refusalOf(error, 'dataplane');
    }
  };
  const spec = await resolveDataplane(hello, deps.store, authorize);
  authorize(spec);
  try {
    dataplaneIdentity(hello.mesh, spec);
  } catch (error) {
    throw refusalOf(error, 'dataplane');
  }
  return { mesh: mesh.spec as MeshSpec, spec };
}

/**
 * The Dataplane the hello is about: the one it carries (written to the store when new or changed), or
 * the stored one. A carried Dataplane is checked against the token BEFORE it is written, so a token
 * never changes a Dataplane it would not admit (a token without a name could otherwise rewrite any
 * Dataplane of its mesh, and be refused only after).
 */
async function resolveDataplane(
  hello: DataplaneHello,
  store: ResourceStore,
  authorize: (spec: DataplaneSpec) => void,
): Promise<DataplaneSpec> {
  const key = { type: ResourceType.Dataplane, mesh: hello.mesh, name: hello.name };
  const stored = await store.get(key);
  if (hello.dataplane === undefined) {
    if (!stored) {
      throw new StreamRefusedError(
        StreamStatus.NotFound,
        `dataplane "${hello.name}" not found in mesh "${hello.mesh}": create it first or send it in the hello`,
      );
    }
    return stored.spec as DataplaneSpec;
  }
  const parsed = parseSentDataplane(hello);
  if (stored && sameJson(stored.spec, parsed)) return stored.spec as DataplaneSpec;
  authorize(parsed);
  try {
    if (stored) await store.update(key, parsed, stored.meta.version);
    else await store.create(key, parsed);
  } catch (error) {
    // Another replica (or the API) wrote it meanwhile: take what is stored now.
    const now = await store.get(key);
    if (!now) throw error;
    return now.spec as DataplaneSpec;
  }
  return parsed;
}

function parseSentDataplane(hello: DataplaneHello): DataplaneSpec {
  try {
    const parsed = parseResource({
      ...hello.dataplane,
      type: 'Dataplane',
      mesh: hello.mesh,
      name: hello.name,
    });
    return parsed.spec as DataplaneSpec;
  } catch (error) {
    if (error instanceof ValidationError) {
      const details = error.violations.map((v) => `${v.field}: ${v.message}`).join('; ');
      throw new StreamRefusedError(StreamStatus.InvalidArgument, `invalid Dataplane resource: ${details}`);
    }
    throw error;
  }
}

function refusalOf(error: unknown, what: string): Error {
  if (error instanceof StreamRefusedError) return error;
  if (error instanceof DataplaneTokenError) {
    const status =
      error.refusal === 'wrong-dataplane' ? StreamStatus.PermissionDenied : StreamStatus.Unauthenticated;
    return new StreamRefusedError(status, `dataplane token refused (${error.refusal}): ${error.message}`);
  }
  if (error instanceof MeshError && error.code === 'identity.no-service') {
    return new StreamRefusedError(StreamStatus.InvalidArgument, `${what}: ${error.message}`);
  }
  if (error instanceof MeshError)
    return new StreamRefusedError(StreamStatus.FailedPrecondition, `${what}: ${error.message}`);
  return error as Error;
}

function sameJson(a: unknown, b: unknown): boolean {
  return stableJson(a) === stableJson(b);
}

function stableJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([x], [y]) => (x < y ? -1 : 1)))
      : v,
  );
}

/**
 * Why a connecting dataplane is issued a certificate, from the lease of the one it holds: `new` (none),
 * `restart` (another process of it), `control-plane-restart` (this replica restarted since), `reconnect`.
 */
export async function issueReasonFor(
  hello: DataplaneHello,
  leases: LeaseStore,
  instance: string,
): Promise<IssueReason> {
  const lease = await leases.get(hello.mesh, hello.name);
  if (!lease) return 'new';
  if (lease.session !== hello.session) return 'restart';
  const [heldBy] = lease.controlPlaneInstance.split('@');
  const [me] = instance.split('@');
  if (heldBy === me && lease.controlPlaneInstance !== instance) return 'control-plane-restart';
  return 'reconnect';
}
