import { eventually } from '@meshtls/testing';
import {
  ResourceType,
  type CaSwitchSpec,
  type ControlPlaneInstanceSpec,
  type MeshSpec,
} from '@meshtls/domain';
import { CaSwitchPlanner } from '../resources/ca-switch.planner';
import { readCaAnchors } from './backend-ca.reader';
import { StreamStatus } from './dataplane-channel.port';
import type { DataplaneHub } from './dataplane-hub';
import type { DataplaneHubDeps } from './dataplane-hub.types';
import {
  FakeDataplane,
  HubWorld,
  answerAcks,
  builtin,
  clock,
  csr,
  dataplane,
} from './dataplane-hub.test-support';

/**
 * CA switches over two replicas, with real stores and CAs and each hub's coordinator: issuance moves to
 * the new backend only once every online dataplane acknowledged a bundle with its CA, and a removed
 * backend stays trusted until no online dataplane holds a certificate from it.
 */
describe('DataplaneHub: a CA switch waits for the fleet', () => {
  const w = HubWorld.perTest();
  const ONE = { enabledBackend: 'ca-1', backends: [builtin('ca-1')] };
  const TWO = { enabledBackend: 'ca-1', backends: [builtin('ca-1'), builtin('ca-2')] };
  const SWITCHED = { enabledBackend: 'ca-2', backends: [builtin('ca-1'), builtin('ca-2')] };
  const REMOVED = { enabledBackend: 'ca-2', backends: [builtin('ca-2')] };

  /** A Mesh update as the API makes it: the switch planned (and written) before the Mesh. */
  const update = async (
    mtls: { enabledBackend: string; backends: object[] },
    newId?: () => string,
  ): Promise<string[]> => {
    const before = (await w.store.get({ type: ResourceType.Mesh, name: 'default' }))!.spec as MeshSpec;
    const planner = new CaSwitchPlanner(w.store, readCaAnchors(w.store), clock, newId);
    const warnings = await planner.prepare('default', before, { mtls } as MeshSpec);
    await w.putMesh(mtls);
    return warnings;
  };
  const caSwitch = async () =>
    (await w.store.get({ type: ResourceType.CaSwitch, mesh: 'default', name: 'default' }))?.spec as
      | CaSwitchSpec
      | undefined;
  const progress = async (instance: string) =>
    (
      (await w.store.get({ type: ResourceType.ControlPlaneInstance, name: instance }))?.spec as
        | ControlPlaneInstanceSpec
        | undefined
    )?.caSwitches['default'];
  const lastBackend = (dp: FakeDataplane) => dp.identities().at(-1)?.backend;
  const lastTrusted = (dp: FakeDataplane) =>
    dp.received
      .filter((m) => m.type === 'trust' || m.type === 'identity')
      .at(-1)!
      .trustBundle.map((a) => a.backend);

  /** A sidecar on `hub` that answers CSRs and acknowledges, unless frozen (then it answers when thawed). */
  async function sidecar(hub: DataplaneHub, name: string) {
    const dp = new FakeDataplane();
    let frozen = false;
    const owed: string[] = [];
    const session = await hub.connect(dp, w.hello(name, `session-${name}`));
    const answer = (requestId: string) => hub.onMessage(session, { type: 'csr', requestId, csrPem: csr() });
    dp.onCsrRequest = (requestId) => (frozen ? owed.push(requestId) : setImmediate(() => answer(requestId)));
    const thawAcks = answerAcks(hub, dp, session, () => frozen);
    return {
      dp,
      freeze: () => (frozen = true),
      thaw: () => {
        frozen = false;
        owed.splice(0).forEach(answer);
        thawAcks();
      },
    };
  }

  async function fleet(deps: Partial<DataplaneHubDeps> = {}) {
    await w.store.create(
      { type: ResourceType.Dataplane, mesh: 'default', name: 'web-2' },
      dataplane('web', 8081),
    );
    await w.putMesh(ONE);
    const r1 = w.makeHub('r1@boot', undefined, undefined, deps);
    const r2 = w.makeHub('r2@boot', undefined, undefined, deps);
    const one = await sidecar(r1, 'web-1');
    const two = await sidecar(r2, 'web-2');
    return { r1, r2, one, two };
  }

  it('holds issuance on the old CA while a frozen dataplane has not acknowledged the new one, then reissues and ends', async () => {
    const { one, two } = await fleet();
    two.freeze();
    await update(TWO);
    const warnings = await update(SWITCHED);
    expect(warnings.join('\n')).toContain('the switch from "ca-1" to "ca-2" is pending');
    expect(await caSwitch()).toMatchObject({ from: 'ca-1', to: 'ca-2', state: 'waiting-for-bundle' });
    // Both replicas have counted the switch: web-1 acknowledged the bundle with ca-2, web-2 did not.
    await eventually(async () =>
      expect(await progress('r1@boot')).toMatchObject({ acknowledged: 1, total: 1 }),
    );
    await eventually(async () =>
      expect(await progress('r2@boot')).toMatchObject({ acknowledged: 0, total: 1, waitingFor: ['web-2'] }),
    );
    // Moving on would be decided at the next report; give both replicas a few of them.
    await new Promise((r) => setTimeout(r, 500));
    expect((await caSwitch())?.state).toBe('waiting-for-bundle');
    expect([lastBackend(one.dp), lastBackend(two.dp)]).toEqual(['ca-1', 'ca-1']);

    two.thaw();
    await eventually(async () => expect((await caSwitch())?.state).toBe('done'));
    expect([lastBackend(one.dp), lastBackend(two.dp)]).toEqual(['ca-2', 'ca-2']);
    expect(await caSwitch()).toMatchObject({ from: 'ca-1', to: 'ca-2', retained: [] });
  });

  it('keeps a removed CA in the bundle until the last certificate from it is replaced', async () => {
    const { one, two } = await fleet();
    await update(TWO);
    await update(SWITCHED);
    await eventually(async () => expect((await caSwitch())?.state).toBe('done'));
    // Back to ca-1 (written straight to the store: at once), then web-2 stops answering while it holds ca-1's.
    await w.putMesh(TWO);
    await eventually(() => expect([lastBackend(one.dp), lastBackend(two.dp)]).toEqual(['ca-1', 'ca-1']));
    two.freeze();
    const warnings = await update(SWITCHED);
    expect(warnings.join('\n')).toContain('is pending');
    await eventually(async () => expect((await caSwitch())?.state).not.toBe('waiting-for-bundle'));
    // web-1 moved to ca-2; web-2 is owed a certificate it cannot take: it still holds ca-1's.
    await eventually(() => expect(lastBackend(one.dp)).toBe('ca-2'));
    expect(lastBackend(two.dp)).toBe('ca-1');
    const removal = await update(REMOVED);
    expect(removal.join('\n')).toContain('the CA of "ca-1" stays in the trust bundle');
    await eventually(() => expect(lastTrusted(one.dp)).toEqual(['ca-2', 'ca-1']));
    await new Promise((r) => setTimeout(r, 500));
    expect((await caSwitch())?.state).toBe('reissuing');
    expect(lastTrusted(one.dp)).toContain('ca-1');

    two.thaw();
    await eventually(async () => expect((await caSwitch())?.state).toBe('done'));
    expect(lastBackend(two.dp)).toBe('ca-2');
    await eventually(() => expect(lastTrusted(one.dp)).toEqual(['ca-2']));
  });

  it('ends the stream of a dataplane that does not acknowledge in time, and goes on without it', async () => {
    // The timeout is shorter than the 15 s after which a silent replica counts as gone, so moving the
    // clock past it leaves both replicas alive.
    const { two } = await fleet({ caSwitch: { ackTimeoutMs: 5_000, reportIntervalMs: 100 } });
    two.freeze();
    await update(TWO);
    await update(SWITCHED);
    await eventually(async () =>
      expect(await progress('r2@boot')).toMatchObject({ acknowledged: 0, total: 1 }),
    );
    await new Promise((r) => setTimeout(r, 300));
    expect(two.dp.closed).toBeUndefined();
    clock.advance(5_001);
    await eventually(() => expect(two.dp.closed?.status).toBe(StreamStatus.Unavailable));
    expect(two.dp.closed?.message).toContain('to acknowledge the trust bundle with "ca-2"');
    await eventually(async () => expect((await caSwitch())?.state).toBe('done'));
  });

  it('refuses removing the backend that still issues while the switch waits for the bundle', async () => {
    const { two } = await fleet();
    two.freeze();
    await update(TWO);
    await update(SWITCHED);
    await expect(update(REMOVED)).rejects.toMatchObject({
      violations: [
        {
          field: 'mtls.backends',
          message: expect.stringContaining('backend "ca-1" still issues certificates'),
        },
      ],
    });
    expect((await w.store.get({ type: ResourceType.Mesh, name: 'default' }))!.spec).toEqual({
      mtls: SWITCHED,
    });
  });

  it('stops waiting for a replica whose reports stopped (it died), not before', async () => {
    await fleet({ caSwitch: { reportIntervalMs: 100 } });
    await update(TWO);
    // A replica that counted this switch with a dataplane still waited for, and then wrote no more.
    await w.store.create(
      { type: ResourceType.ControlPlaneInstance, name: 'gone@boot' },
      {
        instance: 'gone@boot',
        heartbeatAt: clock.now().toISOString(),
        caSwitches: {
          default: {
            id: 'sw-1',
            state: 'waiting-for-bundle',
            total: 1,
            acknowledged: 0,
            waitingFor: ['web-9'],
          },
        },
      },
    );
    await update(SWITCHED, () => 'sw-1');
    await eventually(async () =>
      expect(await progress('r2@boot')).toMatchObject({ acknowledged: 1, total: 1 }),
    );
    await new Promise((r) => setTimeout(r, 500));
    expect((await caSwitch())?.state).toBe('waiting-for-bundle');
    // Its report ages past 15 s; the live replicas' keep being written.
    clock.advance(16_000);
    await eventually(async () => expect((await caSwitch())?.state).toBe('done'));
  });

  it('writes a replica report when its count changes and at its heartbeat, not back and forth', async () => {
    const { two } = await fleet();
    two.freeze();
    await update(TWO);
    await update(SWITCHED);
    await eventually(async () =>
      expect(await progress('r2@boot')).toMatchObject({ acknowledged: 0, total: 1 }),
    );
    await new Promise((r) => setTimeout(r, 500));
    let writes = 0;
    const unwatch = w.store.watch((change) => {
      if (change.kind === 'upsert' && change.record.meta.type === ResourceType.ControlPlaneInstance) writes++;
    });
    // Nothing changes for a second: at most one heartbeat per replica (every 5 s) may fall in it.
    await new Promise((r) => setTimeout(r, 1_000));
    unwatch();
    expect(writes).toBeLessThanOrEqual(2);
  });

  it('removes, when it starts, the report of a replica silent for an hour (killed, it never removed it)', async () => {
    const old = { type: ResourceType.ControlPlaneInstance, name: 'killed@boot' } as const;
    const recent = { type: ResourceType.ControlPlaneInstance, name: 'paused@boot' } as const;
    const report = (instance: string, agoMs: number) => ({
      instance,
      heartbeatAt: new Date(clock.now().getTime() - agoMs).toISOString(),
      caSwitches: {},
    });
    await w.store.create(old, report('killed@boot', 3_600_001));
    await w.store.create(recent, report('paused@boot', 60_000));
    await fleet();
    await eventually(async () => expect(await w.store.get(old)).toBeUndefined());
    expect(await w.store.get(recent)).toBeDefined();
  });
});
