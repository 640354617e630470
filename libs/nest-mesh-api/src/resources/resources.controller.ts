import { Controller, Delete, Get, Inject, Param, Put, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ResourceKey } from '@meshtls/domain';
import {
  GLOBAL_SECRET_DESCRIPTOR,
  MESH_DESCRIPTOR,
  globalSecretKey,
  meshKey,
  meshScopedDescriptor,
} from './resource-routes';
import { ResourceHttpService } from './resource-http.service';

/** The Kuma-compatible resource API. Only translation here; rules live in the use cases. */
@Controller()
export class ResourcesController {
  constructor(@Inject(ResourceHttpService) private readonly http: ResourceHttpService) {}

  @Get('meshes')
  listMeshes(@Req() req: FastifyRequest) {
    return this.http.list(req, MESH_DESCRIPTOR);
  }

  @Get('meshes/:name')
  getMesh(@Req() req: FastifyRequest, @Param('name') name: string) {
    return this.http.get(req, meshKey(name));
  }

  @Put('meshes/:name')
  async putMesh(
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) res: FastifyReply,
    @Param('name') name: string,
  ) {
    return this.put(req, res, meshKey(name));
  }

  @Delete('meshes/:name')
  deleteMesh(@Req() req: FastifyRequest, @Param('name') name: string) {
    return this.http.delete(req, meshKey(name));
  }

  @Get('global-secrets')
  listGlobalSecrets(@Req() req: FastifyRequest) {
    return this.http.list(req, GLOBAL_SECRET_DESCRIPTOR);
  }

  @Get('global-secrets/:name')
  getGlobalSecret(@Req() req: FastifyRequest, @Param('name') name: string) {
    return this.http.get(req, globalSecretKey(name));
  }

  @Put('global-secrets/:name')
  async putGlobalSecret(
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) res: FastifyReply,
    @Param('name') name: string,
  ) {
    return this.put(req, res, globalSecretKey(name));
  }

  @Delete('global-secrets/:name')
  deleteGlobalSecret(@Req() req: FastifyRequest, @Param('name') name: string) {
    return this.http.delete(req, globalSecretKey(name));
  }

  @Get('meshes/:mesh/:collection')
  listInMesh(
    @Req() req: FastifyRequest,
    @Param('mesh') mesh: string,
    @Param('collection') collection: string,
  ) {
    return this.http.list(req, meshScopedDescriptor(collection), mesh);
  }

  @Get('meshes/:mesh/:collection/:name')
  getInMesh(@Req() req: FastifyRequest, @Param() p: { mesh: string; collection: string; name: string }) {
    return this.http.get(req, { type: meshScopedDescriptor(p.collection).type, mesh: p.mesh, name: p.name });
  }

  @Put('meshes/:mesh/:collection/:name')
  async putInMesh(
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) res: FastifyReply,
    @Param() p: { mesh: string; collection: string; name: string },
  ) {
    const key = { type: meshScopedDescriptor(p.collection).type, mesh: p.mesh, name: p.name };
    return this.put(req, res, key);
  }

  @Delete('meshes/:mesh/:collection/:name')
  deleteInMesh(@Req() req: FastifyRequest, @Param() p: { mesh: string; collection: string; name: string }) {
    return this.http.delete(req, {
      type: meshScopedDescriptor(p.collection).type,
      mesh: p.mesh,
      name: p.name,
    });
  }

  /** A resource by its Kuma resource identifier (`kri`). */
  @Get('_kri/:kri')
  getByKri(@Req() req: FastifyRequest, @Param('kri') kri: string) {
    return this.http.getByKri(req, kri);
  }

  /** Kuma lists mesh-scoped resources of every mesh at the top level too (`GET /dataplanes`). */
  @Get(':collection')
  listAcrossMeshes(@Req() req: FastifyRequest, @Param('collection') collection: string) {
    return this.http.list(req, meshScopedDescriptor(collection));
  }

  /** A PUT answers 201 when it created the resource, 200 when it updated it. */
  private async put(req: FastifyRequest, res: FastifyReply, key: ResourceKey) {
    const { status, body } = await this.http.put(req, key);
    res.status(status);
    return body;
  }
}
