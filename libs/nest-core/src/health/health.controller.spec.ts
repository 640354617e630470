import type { Infrastructure } from '../infra/infrastructure';
import { HealthController } from './health.controller';
import { HealthDegradations } from './health-degradations';

describe('HealthController ready', () => {
  const infra = {
    resources: { get: async () => undefined },
    bus: { request: async () => ({}) },
  } as unknown as Infrastructure;
  const instance = { instanceId: 'mesh-api-1', roles: ['mesh-api'], startedAt: '2026-06-01T00:00:00Z' };
  const ready = async (degradations: HealthDegradations) => {
    let status = 0;
    const reply = { status: (s: number) => ((status = s), reply) };
    const body = await new HealthController(infra, instance, degradations).ready(reply as never);
    return { status, body };
  };

  it('is ready when the store and bus answer and nothing is degraded', async () => {
    const { status, body } = await ready(new HealthDegradations());
    expect(status).toBe(200);
    expect(body).toEqual({
      status: 'ok',
      instance: 'mesh-api-1',
      roles: ['mesh-api'],
      checks: { store: 'ok', bus: 'ok', degradations: 'ok' },
    });
  });

  it('answers 503 with every reason while something is degraded, and is ready again once cleared', async () => {
    const degradations = new HealthDegradations(() => new Date('2026-06-01T00:00:00Z'));
    degradations.report(
      'kv:Dataplane/default/web-1',
      'kv Dataplane/default/web-1: spec does not validate at networking',
    );
    degradations.report('store:full', 'the embedded store is full');
    const { status, body } = await ready(degradations);
    expect(status).toBe(503);
    expect(body).toMatchObject({
      status: 'fail',
      checks: {
        store: 'ok',
        bus: 'ok',
        degradations:
          'degraded (2): kv Dataplane/default/web-1: spec does not validate at networking (and 1 more)',
      },
      degradations: [
        {
          source: 'kv:Dataplane/default/web-1',
          reason: 'kv Dataplane/default/web-1: spec does not validate at networking',
          since: '2026-06-01T00:00:00.000Z',
        },
        { source: 'store:full', reason: 'the embedded store is full', since: '2026-06-01T00:00:00.000Z' },
      ],
    });
    degradations.clear('kv:Dataplane/default/web-1');
    degradations.clear('store:full');
    expect((await ready(degradations)).status).toBe(200);
  });
});
