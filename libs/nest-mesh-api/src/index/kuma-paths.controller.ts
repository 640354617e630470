import { Controller, Delete, Get, Inject, Param, Put, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { GLOBAL_SECRET_DESCRIPTOR, globalSecretKey } from '../resources/resource-routes';
import { ResourceHttpService } from '../resources/resource-http.service';

/**
 * Paths kumactl calls that name a collection differently from ours. kumactl 2.14 reads and writes
 * GlobalSecrets at `/globalsecrets` (Kuma's main path; `/global-secrets` is its alternative, served by
 * ResourcesController); both answer the same.
 */
@Controller()
export class KumaPathsController {
  constructor(@Inject(ResourceHttpService) private readonly http: ResourceHttpService) {}

  @Get('globalsecrets')
  listGlobalSecrets(@Req() req: FastifyRequest) {
    return this.http.list(req, GLOBAL_SECRET_DESCRIPTOR);
  }

  @Get('globalsecrets/:name')
  getGlobalSecret(@Req() req: FastifyRequest, @Param('name') name: string) {
    return this.http.get(req, globalSecretKey(name));
  }

  @Put('globalsecrets/:name')
  async putGlobalSecret(
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) res: FastifyReply,
    @Param('name') name: string,
  ) {
    const { status, body } = await this.http.put(req, globalSecretKey(name));
    res.status(status);
    return body;
  }

  @Delete('globalsecrets/:name')
  deleteGlobalSecret(@Req() req: FastifyRequest, @Param('name') name: string) {
    return this.http.delete(req, globalSecretKey(name));
  }
}
