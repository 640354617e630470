import {
  ApplyResourceUseCase,
  DeleteResourceUseCase,
  ResourceQueries,
  parsePageRequest,
} from '@meshtls/application';
import {
  RESOURCE_DESCRIPTORS,
  BadRequestError,
  assertUniversalFormat,
  ResourceNotFoundError,
  ResourceType,
  ValidationError,
  immutableLabelViolations,
  labelsOf,
  parseResourceAt,
  resourceKeyOfKri,
  toKumaUniversal,
  withoutPrivateKeys,
  workloadLabelProblem,
  type ResourceDescriptor,
  type ResourceKey,
  type ResourceRecord,
} from '@meshtls/domain';
import { ApiError, ErrorTitles, toApiError } from '@meshtls/nest-core';
import type { FastifyRequest } from 'fastify';
import {
  authenticate,
  authorize,
  credentialsOf,
  type AccessSettings,
  type Principal,
} from '../access/access-policy';

export interface ListPage {
  readonly total: number;
  readonly items: readonly Record<string, unknown>[];
  readonly next: string | null;
}

/** Kuma's PUT answer: `{}`, with `warnings` only when there are some. */
export interface PutAnswer {
  readonly warnings?: readonly string[];
}

/**
 * Translates HTTP requests on resources into use cases: access check, call, render in universal format.
 * Each step fails under the title Kuma gives it (the mesh of the URL, reading, processing the body,
 * creating, updating, deleting).
 */
export class ResourceHttpService {
  constructor(
    private readonly access: AccessSettings,
    private readonly queries: ResourceQueries,
    private readonly applyResource: ApplyResourceUseCase,
    private readonly deleteResource: DeleteResourceUseCase,
  ) {}

  async list(request: FastifyRequest, descriptor: ResourceDescriptor, mesh?: string): Promise<ListPage> {
    const principal = this.check(request, descriptor);
    const page = step(request, ErrorTitles.retrieveResources, () =>
      parsePageRequest(request.query as Record<string, unknown>),
    );
    await this.meshOfUrl(request, mesh);
    const result = await stepAsync(request, ErrorTitles.retrieveResources, () =>
      this.queries.list(descriptor.type, mesh, page),
    );
    const nextOffset = page.offset + page.size;
    return {
      total: result.total,
      items: result.items.map((record) => render(record, principal)),
      next: nextOffset < result.total ? nextPageUrl(request, nextOffset) : null,
    };
  }

  async get(request: FastifyRequest, key: ResourceKey): Promise<Record<string, unknown>> {
    const principal = this.check(request, RESOURCE_DESCRIPTORS[key.type]);
    await this.meshOfUrl(request, key.mesh);
    const record = await stepAsync(request, ErrorTitles.retrieveResource, () => this.queries.get(key));
    step(request, ErrorTitles.retrieveResource, () => assertUniversalFormat(formatOf(request)));
    return render(record, principal);
  }

  /** Returns the status (201 created, 200 updated) and Kuma's PUT body. */
  async put(request: FastifyRequest, key: ResourceKey): Promise<{ status: number; body: PutAnswer }> {
    const principal = this.check(request, RESOURCE_DESCRIPTORS[key.type]);
    refuseReadOnly(RESOURCE_DESCRIPTORS[key.type]);
    await this.meshOfUrl(request, key.mesh);
    // Kuma reads and validates the body against the URL first: its faults are "Could not process".
    const parsed = step(request, ErrorTitles.processResource, () =>
      parseResourceAt(withoutTimes(request.body), key),
    );
    const existing = await stepAsync(request, ErrorTitles.processResource, () =>
      this.queries.get(key).then(
        (record) => record,
        (error: unknown) => (error instanceof ResourceNotFoundError ? undefined : Promise.reject(error)),
      ),
    );
    // Where a resource comes from and the name it is known by stay as they were created.
    if (existing) {
      const violations = immutableLabelViolations(
        labelsOf(existing.meta, existing.spec),
        labelsOf(existing.meta, parsed.spec),
      );
      if (violations.length > 0) {
        throw toApiError(new ValidationError(violations), request.method, ErrorTitles.refuseUpdate);
      }
    }
    const exists = existing !== undefined;
    // Kuma checks a new Dataplane's workload label (only when it creates one).
    const workload = exists ? undefined : workloadLabelProblem(labelsOf(key, parsed.spec));
    if (workload !== undefined) throw toApiError(new BadRequestError(workload), request.method);
    const result = await stepAsync(
      request,
      exists ? ErrorTitles.updateResource : ErrorTitles.createResource,
      () => this.applyResource.execute({ target: key, document: request.body, caller: principal.kind }),
    );
    const body: PutAnswer = result.warnings.length > 0 ? { warnings: result.warnings } : {};
    return { status: result.created ? 201 : 200, body };
  }

  /** A resource by its `kri` (Kuma's `GET /_kri/{kri}`). */
  async getByKri(request: FastifyRequest, kri: string): Promise<Record<string, unknown>> {
    const key = step(request, ErrorTitles.retrieveResource, () => resourceKeyOfKri(kri));
    if (key === undefined) throw new ApiError(404, ErrorTitles.retrieveResource, 'Not found');
    const principal = this.check(request, RESOURCE_DESCRIPTORS[key.type]);
    const record = await stepAsync(request, ErrorTitles.retrieveResource, () => this.queries.get(key));
    step(request, ErrorTitles.formatResource, () => assertUniversalFormat(formatOf(request)));
    return render(record, principal);
  }

  async delete(request: FastifyRequest, key: ResourceKey): Promise<Record<string, never>> {
    this.check(request, RESOURCE_DESCRIPTORS[key.type]);
    refuseReadOnly(RESOURCE_DESCRIPTORS[key.type]);
    await this.meshOfUrl(request, key.mesh);
    await stepAsync(request, ErrorTitles.deleteResource, () => this.deleteResource.execute(key));
    return {};
  }

  private check(request: FastifyRequest, descriptor: ResourceDescriptor): Principal {
    const principal = authenticate(this.access, credentialsOf(request));
    authorize(principal, request.method, descriptor);
    return principal;
  }

  /** The mesh a mesh-scoped URL names must exist: Kuma answers 404 "Failed to retrieve Mesh" first. */
  private async meshOfUrl(request: FastifyRequest, mesh: string | undefined): Promise<void> {
    if (mesh === undefined) return;
    await stepAsync(request, ErrorTitles.retrieveMesh, () =>
      this.queries.get({ type: ResourceType.Mesh, name: mesh }),
    );
  }
}

/** Runs one step of a request; what it throws fails under the step's title. */
function step<T>(request: FastifyRequest, title: string, run: () => T): T {
  try {
    return run();
  } catch (error) {
    throw toApiError(error, request.method, title);
  }
}

async function stepAsync<T>(request: FastifyRequest, title: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw toApiError(error, request.method, title);
  }
}

function formatOf(request: FastifyRequest): unknown {
  return (request.query as Record<string, unknown> | undefined)?.format;
}

/** The times a client may send back unchanged (`get -o yaml | apply -f -`): the store sets them. */
function withoutTimes(document: unknown): unknown {
  if (document === null || typeof document !== 'object' || Array.isArray(document)) return document;
  const { creationTime: _c, modificationTime: _m, ...rest } = document as Record<string, unknown>;
  return rest;
}

/** A record in universal format as `principal` may read it: private keys are the admin's only. */
function render(record: ResourceRecord, principal: Principal): Record<string, unknown> {
  return toKumaUniversal(principal.kind === 'admin' ? record : withoutPrivateKeys(record));
}

function refuseReadOnly(descriptor: ResourceDescriptor): void {
  if (descriptor.readOnly) {
    throw new ApiError(
      405,
      ErrorTitles.methodNotAllowed,
      `${descriptor.type} is read-only: the control plane maintains it from what the dataplanes do`,
    );
  }
}

/** Kuma's `next`: the request's own URL and query, with `offset` set (query keys sorted, as Go encodes). */
function nextPageUrl(request: FastifyRequest, offset: number): string {
  const [path, search = ''] = request.url.split('?', 2);
  const query = new URLSearchParams(search);
  query.set('offset', String(offset));
  query.sort();
  return `${request.protocol}://${request.host}${path}?${query.toString()}`;
}
