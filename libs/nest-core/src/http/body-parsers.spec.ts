import { Body, Controller, Module, Post } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { HTTP_APP_OPTIONS, configureHttpApp } from './bootstrap';

@Controller()
class EchoController {
  @Post('echo')
  echo(@Body() body: unknown) {
    return { received: body ?? null };
  }
}

@Module({ controllers: [EchoController] })
class EchoModule {}

describe('request bodies', () => {
  let app: NestFastifyApplication;
  const post = (payload: string, contentType?: string) =>
    app.inject({
      method: 'POST',
      url: '/echo',
      payload,
      headers: contentType === undefined ? {} : { 'content-type': contentType },
    });

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({ imports: [EchoModule] }).compile();
    app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), {
      ...HTTP_APP_OPTIONS,
      logger: false,
    });
    configureHttpApp(app);
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
  });
  afterAll(() => app.close());

  it('accepts JSON and every YAML media type', async () => {
    const json = await post('{"a":1}', 'application/json; charset=utf-8');
    expect(json.statusCode).toBe(201);
    expect(json.json()).toEqual({ received: { a: 1 } });
    for (const type of ['application/yaml', 'application/x-yaml', 'text/yaml', 'text/x-yaml']) {
      const yaml = await post('a: 1\n', type);
      expect({ type, status: yaml.statusCode, body: yaml.json() }).toEqual({
        type,
        status: 201,
        body: { received: { a: 1 } },
      });
    }
  });

  it.each([
    ['a form', 'mesh=default&name=web-1', 'application/x-www-form-urlencoded'],
    [
      'multipart',
      '--b\r\nContent-Disposition: form-data; name="mesh"\r\n\r\nx\r\n--b--\r\n',
      'multipart/form-data; boundary=b',
    ],
    ['text/plain', '{"mesh":"default"}', 'text/plain'],
    ['text/plain naming JSON in a parameter', '{"mesh":"default"}', 'text/plain; x=application/json'],
    ['no content type', '{"mesh":"default"}', undefined],
  ])('answers %s with 415 naming the accepted types', async (_what, payload, type) => {
    const res = await post(payload, type);
    expect(res.statusCode).toBe(415);
    expect(res.json()).toMatchObject({
      status: 415,
      title: 'Unsupported Media Type',
      detail:
        'request bodies must be JSON (Content-Type: application/json) or YAML (application/yaml, ' +
        'application/x-yaml, text/yaml, text/x-yaml); forms, multipart and text/plain bodies are not accepted',
    });
  });

  it.each([
    ['JSON __proto__', '{"type":"Mesh","__proto__":{"admin":true}}', 'application/json', ['__proto__']],
    [
      'JSON constructor.prototype',
      '{"mtls":{"backends":[{"constructor":{"prototype":{"x":1}}}]}}',
      'application/json',
      ['mtls.backends[0].constructor'],
    ],
    [
      'a YAML tag named __proto__',
      'networking:\n  inbound:\n    - tags:\n        kuma.io/service: web\n        __proto__: evil\n',
      'application/yaml',
      ['networking.inbound[0].tags.__proto__'],
    ],
    ['YAML prototype', 'a:\n  prototype: 1\n', 'text/yaml', ['a.prototype']],
  ])('answers a body with %s with 400 naming the path', async (_what, payload, type, fields) => {
    const res = await post(payload, type);
    expect(res.statusCode).toBe(400);
    const body = res.json();
    expect(body.detail).toBe(`request body uses a forbidden key at ${fields.join(', ')}`);
    expect(body.invalid_parameters.map((p: { field: string }) => p.field)).toEqual(fields);
    expect(body.causes.map((c: { field: string }) => c.field)).toEqual(fields);
  });

  it('answers bad JSON and bad YAML with 400 without quoting the body', async () => {
    const json = await post('{"password": "hunter2", ', 'application/json');
    expect(json.statusCode).toBe(400);
    expect(json.body).not.toContain('hunter2');
    const yaml = await post('a: [1\n', 'application/yaml');
    expect(yaml.statusCode).toBe(400);
    expect(yaml.json().detail).toMatch(/^invalid YAML: /);
    const empty = await post('', 'application/json');
    expect(empty.statusCode).toBe(400);
    expect(empty.json().detail).toBe('request body is empty');
  });
});
