import { Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DataplaneTokenService } from '@meshtls/application';
import { ResourceType } from '@meshtls/domain';
import { ApiErrorFilter } from '@meshtls/nest-core';
import { MemoryResourceStore } from '@meshtls/store/adapters';
import { FakeClock } from '@meshtls/util';
import type { AccessSettings } from '../access/access-policy';
import { allowedMethods } from '../resources/resource-routes';
import { TokenHttpService } from './token-http.service';
import { TokensController } from './tokens.controller';

const ADMIN_TOKEN = 'admin-token-of-the-test-0123456789';

async function startApi(access: AccessSettings) {
  const clock = new FakeClock('2026-03-01T00:00:00Z');
  const store = new MemoryResourceStore(clock);
  await store.create({ type: ResourceType.Mesh, name: 'default' }, {});
  const tokens = new DataplaneTokenService(store, clock);

  @Module({
    controllers: [TokensController],
    providers: [{ provide: TokenHttpService, useValue: new TokenHttpService(access, tokens) }],
  })
  class TestModule {}

  const moduleRef = await Test.createTestingModule({ imports: [TestModule] }).compile();
  const app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), {
    logger: false,
  });
  app.useGlobalFilters(new ApiErrorFilter(allowedMethods));
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  const post = (body: unknown, options: { remoteAddress?: string; token?: string; host?: string } = {}) =>
    app.inject({
      method: 'POST',
      url: '/tokens/dataplane',
      payload: JSON.stringify(body),
      remoteAddress: options.remoteAddress ?? '127.0.0.1',
      headers: {
        'content-type': 'application/json',
        ...(options.host ? { host: options.host } : {}),
        ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      },
    });
  return { app, tokens, post };
}

describe('POST /tokens/dataplane', () => {
  describe('standalone', () => {
    let api: Awaited<ReturnType<typeof startApi>>;
    beforeAll(async () => {
      api = await startApi({ mode: 'standalone' });
    });
    afterAll(() => api.app.close());

    it("answers 200 with the token as text/plain to kumactl's body, tags in Kuma's list form", async () => {
      const res = await api.post({
        name: 'dp-1',
        mesh: 'default',
        tags: { 'kuma.io/service': ['web', 'api'] },
        type: '',
        workload: '',
        validFor: '24h0m0s',
      });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
      const claims = await api.tokens.verify(res.body);
      expect(claims).toMatchObject({
        mesh: 'default',
        name: 'dp-1',
        tags: { 'kuma.io/service': ['api', 'web'] },
      });
      expect(claims.expiresAt.toISOString()).toBe('2026-03-02T00:00:00.000Z');
    });

    it('answers 400 in Kuma error shape naming each bad field', async () => {
      const res = await api.post({
        mesh: 'default',
        name: 'Dp_1',
        tags: { a: [] },
        type: 'gateway',
        validFor: 'soon',
      });
      expect(res.statusCode).toBe(400);
      const body = res.json();
      expect(body).toMatchObject({
        type: '/std-errors',
        status: 400,
        title: 'Invalid request',
        detail: 'Resource is not valid',
      });
      const fields = ['name', 'tags["a"]', 'type', 'validFor'];
      expect(body.invalid_parameters.map((p: { field: string }) => p.field)).toEqual(fields);
      expect(body.causes.map((c: { field: string }) => c.field)).toEqual(fields);
    });

    it('answers 404 for a mesh that does not exist', async () => {
      const res = await api.post({ mesh: 'nowhere', name: 'dp-1' });
      expect(res.statusCode).toBe(404);
      expect(res.json()).toMatchObject({
        status: 404,
        title: 'Could not issue a token',
        detail: 'mesh "nowhere" not found',
      });
    });

    it('refuses callers from another host without the admin token (403)', async () => {
      const res = await api.post({ mesh: 'default', name: 'dp-1' }, { remoteAddress: '10.1.2.3' });
      expect(res.statusCode).toBe(403);
      expect(res.json()).toMatchObject({ type: '/std-errors', status: 403 });
    });

    it('refuses a local caller that names another host (DNS rebinding) without the admin token (403)', async () => {
      const res = await api.post({ mesh: 'default', name: 'dp-1' }, { host: 'rebound.example:5681' });
      expect(res.statusCode).toBe(403);
      expect(res.body).not.toMatch(/^ey/);
    });

    it('answers 405 with Allow: POST for other methods', async () => {
      const res = await api.app.inject({ method: 'GET', url: '/tokens/dataplane' });
      expect(res.statusCode).toBe(405);
      expect(res.headers.allow).toBe('POST');
    });
  });

  describe('distributed', () => {
    let api: Awaited<ReturnType<typeof startApi>>;
    beforeAll(async () => {
      api = await startApi({ mode: 'distributed', adminToken: ADMIN_TOKEN });
    });
    afterAll(() => api.app.close());

    it('requires the admin token even from localhost: 403 without, 401 wrong, 200 right', async () => {
      const body = { mesh: 'default', name: 'dp-1' };
      expect((await api.post(body)).statusCode).toBe(403);
      const wrong = await api.post(body, { token: 'x'.repeat(20) });
      expect(wrong.statusCode).toBe(401);
      expect(wrong.headers['www-authenticate']).toBe('Bearer');
      const ok = await api.post(body, { token: ADMIN_TOKEN });
      expect(ok.statusCode).toBe(200);
      expect((await api.tokens.verify(ok.body)).name).toBe('dp-1');
    });

    it('judges nothing of the request for a caller without the token', async () => {
      const res = await api.post({ mesh: 'nowhere', name: 'Bad_Name' });
      expect(res.statusCode).toBe(403);
    });
  });
});
