import { Controller, Get, Inject, Param, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { InsightQueries, parsePageRequest } from '@meshtls/application';
import { parseDataplaneFilter } from '@meshtls/domain';

/**
 * What the control plane observed, in Kuma's shapes: each Dataplane with its insight (streams,
 * certificate), filtered by Kuma's `tag` and `gateway` parameters, and a mesh's summary with its CAs'
 * expiry. Reads only; open to every caller, like the other non-secret reads.
 */
@Controller()
export class InsightsController {
  constructor(@Inject(InsightQueries) private readonly insights: InsightQueries) {}

  @Get('meshes/:mesh/dataplanes+insights')
  list(@Req() req: FastifyRequest, @Param('mesh') mesh: string) {
    return this.page(req, mesh);
  }

  @Get('meshes/:mesh/dataplanes/_overview')
  overview(@Req() req: FastifyRequest, @Param('mesh') mesh: string) {
    return this.page(req, mesh);
  }

  @Get('meshes/:mesh/dataplanes+insights/:name')
  one(@Param('mesh') mesh: string, @Param('name') name: string) {
    return this.insights.overview(mesh, name);
  }

  @Get('meshes/:mesh/dataplanes/:name/_overview')
  oneOverview(@Param('mesh') mesh: string, @Param('name') name: string) {
    return this.insights.overview(mesh, name);
  }

  @Get('mesh-insights')
  async meshes() {
    const items = await this.insights.meshInsights();
    return { total: items.length, items, next: null };
  }

  @Get('mesh-insights/:mesh')
  mesh(@Param('mesh') mesh: string) {
    return this.insights.meshInsight(mesh);
  }

  private async page(req: FastifyRequest, mesh: string) {
    const query = req.query as Record<string, unknown>;
    const page = parsePageRequest(query);
    const filter = parseDataplaneFilter(query);
    const { total, items } = await this.insights.overviews(mesh, page, filter);
    const nextOffset = page.offset + items.length;
    const path = req.url.split('?')[0];
    // The next page keeps the filter it is a page of.
    const kept = new URLSearchParams();
    for (const [tag, value] of Object.entries(filter.tags)) kept.append('tag', `${tag}:${value}`);
    if (filter.gateway) kept.append('gateway', filter.gateway);
    const rest = kept.size > 0 ? `&${kept.toString()}` : '';
    return {
      total,
      items,
      next: nextOffset < total ? `${path}?offset=${nextOffset}&size=${page.size}${rest}` : null,
    };
  }
}
