import {
  ApplyResourceUseCase,
  DeleteResourceUseCase,
  ResourceQueries,
  parsePageRequest,
} from '@meshtls/application';
import {
  RESOURCE_DESCRIPTORS,
  ResourceType,
  toUniversal,
  withoutPrivateKeys,
  type ResourceDescriptor,
  type ResourceKey,
  type ResourceRecord,
} from '@meshtls/domain';
import { ApiError } from '@meshtls/nest-core';
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

/** Translates HTTP requests on resources into use cases: access check, call, render in universal format. */
export class ResourceHttpService {
  constructor(
    private readonly access: AccessSettings,
    private readonly queries: ResourceQueries,
    private readonly applyResource: ApplyResourceUseCase,
    private readonly deleteResource: DeleteResourceUseCase,
  ) {}

  async list(request: FastifyRequest, descriptor: ResourceDescriptor, mesh?: string): Promise<ListPage> {
    const principal = this.check(request, descriptor);
    const page = parsePageRequest(request.query as Record<string, unknown>);
    if (mesh !== undefined)
      await this.queries.get({ type: ResourceType.Mesh, name: mesh }).catch(() => {
        throw new ApiError(404, 'Could not list resources', `mesh "${mesh}" not found`);
      });
    const result = await this.queries.list(descriptor.type, mesh, page);
    const nextOffset = page.offset + page.size;
    return {
      total: result.total,
      items: result.items.map((record) => render(record, principal)),
      next: nextOffset < result.total ? nextPageUrl(request, nextOffset, page.size) : null,
    };
  }

  async get(request: FastifyRequest, key: ResourceKey): Promise<Record<string, unknown>> {
    const principal = this.check(request, RESOURCE_DESCRIPTORS[key.type]);
    return render(await this.queries.get(key), principal);
  }

  /** Returns the status (201 created, 200 updated) and Kuma's PUT body. */
  async put(
    request: FastifyRequest,
    key: ResourceKey,
  ): Promise<{ status: number; body: { warnings: readonly string[] } }> {
    const principal = this.check(request, RESOURCE_DESCRIPTORS[key.type]);
    refuseReadOnly(RESOURCE_DESCRIPTORS[key.type]);
    const result = await this.applyResource.execute({
      target: key,
      document: request.body,
      caller: principal.kind,
    });
    return { status: result.created ? 201 : 200, body: { warnings: result.warnings } };
  }

  async delete(request: FastifyRequest, key: ResourceKey): Promise<Record<string, never>> {
    this.check(request, RESOURCE_DESCRIPTORS[key.type]);
    refuseReadOnly(RESOURCE_DESCRIPTORS[key.type]);
    await this.deleteResource.execute(key);
    return {};
  }

  private check(request: FastifyRequest, descriptor: ResourceDescriptor): Principal {
    const principal = authenticate(this.access, credentialsOf(request));
    authorize(principal, request.method, descriptor);
    return principal;
  }
}

/** A record in universal format as `principal` may read it: private keys are the admin's only. */
function render(record: ResourceRecord, principal: Principal): Record<string, unknown> {
  return toUniversal(principal.kind === 'admin' ? record : withoutPrivateKeys(record));
}

function refuseReadOnly(descriptor: ResourceDescriptor): void {
  if (descriptor.readOnly) {
    throw new ApiError(
      405,
      'Method not allowed',
      `${descriptor.type} is read-only: the control plane maintains it from what the dataplanes do`,
    );
  }
}

function nextPageUrl(request: FastifyRequest, offset: number, size: number): string {
  const path = request.url.split('?')[0];
  return `${request.protocol}://${request.host}${path}?offset=${offset}&size=${size}`;
}
