import type { MeshSpec } from '../mesh/mesh.types';
import { storedSpecViolations } from '../universal/stored-spec.validator';
import {
  caSwitchMtlsView,
  caSwitchStatusOf,
  liveInstanceReports,
  caSwitchProgressOf,
  fleetCaSwitchProgress,
  issuingBackendOf,
  issuingBackendRemoved,
  nextCaSwitch,
  planCaSwitch,
  trustedBackendsOf,
  type CaSwitchPlanContext,
} from './ca-switch.rules';
import type { CaSwitchSpec } from './ca-switch.types';

const builtin = (name: string) => ({ name, type: 'builtin' as const });
const mesh = (enabledBackend: string | undefined, ...backends: string[]): MeshSpec =>
  ({ mtls: { ...(enabledBackend ? { enabledBackend } : {}), backends: backends.map(builtin) } }) as MeshSpec;
const PEM = (b: string) => `-----BEGIN CERTIFICATE-----\n${b}\n-----END CERTIFICATE-----\n`;
let ids = 0;
const ctx: CaSwitchPlanContext = {
  now: new Date('2026-12-07T10:00:00Z'),
  newId: () => `sw-${++ids}`,
  anchorsOf: (backends) => backends.map((backend) => ({ backend, certPem: PEM(backend) })),
};
const at = new Date('2026-12-07T10:05:00Z');

describe('planCaSwitch', () => {
  it('starts a switch waiting for the bundle when enabledBackend moves to a listed backend', () => {
    const sw = planCaSwitch(mesh('a', 'a', 'b'), mesh('b', 'a', 'b'), undefined, ctx)!;
    expect(sw).toMatchObject({ from: 'a', to: 'b', state: 'waiting-for-bundle', retained: [] });
    // While it waits, the old backend issues and both CAs are trusted.
    expect(issuingBackendOf(mesh('b', 'a', 'b'), sw)).toBe('a');
    expect(caSwitchMtlsView(mesh('b', 'a', 'b'), sw)).toMatchObject({
      enabledBackend: 'a',
      supportedBackends: ['a', 'b'],
    });
  });

  it('leaves no switch when mTLS is turned on or off, or nothing about backends changes', () => {
    expect(planCaSwitch(mesh(undefined, 'a'), mesh('a', 'a'), undefined, ctx)).toBeUndefined();
    expect(planCaSwitch(mesh('a', 'a'), mesh(undefined, 'a'), undefined, ctx)).toBeUndefined();
    expect(planCaSwitch(undefined, mesh('a', 'a'), undefined, ctx)).toBeUndefined();
    expect(planCaSwitch(mesh('a', 'a'), mesh('a', 'a', 'b'), undefined, ctx)).toBeUndefined();
  });

  it('keeps a removed backend trusted, waiting for its certificates to go', () => {
    const sw = planCaSwitch(mesh('b', 'a', 'b'), mesh('b', 'b'), undefined, ctx)!;
    expect(sw).toMatchObject({ to: 'b', state: 'waiting-for-removal' });
    expect(sw.from).toBeUndefined();
    expect(sw.retained).toEqual([{ backend: 'a', certPem: PEM('a') }]);
    expect(trustedBackendsOf(mesh('b', 'b'), sw)).toEqual(['b', 'a']);
    expect(issuingBackendOf(mesh('b', 'b'), sw)).toBe('b');
  });

  it('adds a removal to a switch still reissuing, which then waits for both', () => {
    const reissuing: CaSwitchSpec = {
      ...planCaSwitch(mesh('a', 'a', 'b'), mesh('b', 'a', 'b'), undefined, ctx)!,
      state: 'reissuing',
    };
    const sw = planCaSwitch(mesh('b', 'a', 'b'), mesh('b', 'b'), reissuing, ctx)!;
    expect(sw).toMatchObject({ id: reissuing.id, state: 'reissuing', retained: [{ backend: 'a' }] });
    // The same update again changes nothing.
    expect(planCaSwitch(mesh('b', 'b'), mesh('b', 'b'), sw, ctx)).toBe(sw);
  });

  it('cancels a switch moved back before the bundle was acknowledged', () => {
    const waiting = planCaSwitch(mesh('a', 'a', 'b'), mesh('b', 'a', 'b'), undefined, ctx)!;
    expect(planCaSwitch(mesh('b', 'a', 'b'), mesh('a', 'a', 'b'), waiting, ctx)).toBeUndefined();
  });

  it('switches from the backend issuing now when a new target is chosen mid-switch', () => {
    const waiting = planCaSwitch(mesh('a', 'a', 'b', 'c'), mesh('b', 'a', 'b', 'c'), undefined, ctx)!;
    const moved = planCaSwitch(mesh('b', 'a', 'b', 'c'), mesh('c', 'a', 'b', 'c'), waiting, ctx)!;
    expect(moved).toMatchObject({ from: 'a', to: 'c', state: 'waiting-for-bundle' });
    expect(moved.id).not.toBe(waiting.id);
  });

  it('ignores a stored switch that no longer leads to the enabled backend', () => {
    const stale: CaSwitchSpec = {
      ...planCaSwitch(mesh('a', 'a', 'b'), mesh('b', 'a', 'b'), undefined, ctx)!,
    };
    expect(issuingBackendOf(mesh('c', 'a', 'b', 'c'), stale)).toBe('c');
    expect(issuingBackendOf(mesh('b', 'a', 'b'), { ...stale, state: 'done' })).toBe('b');
  });
});

describe('issuingBackendRemoved', () => {
  it('refuses dropping the backend that still issues while the switch waits for the bundle', () => {
    const waiting = planCaSwitch(mesh('a', 'a', 'b'), mesh('b', 'a', 'b'), undefined, ctx)!;
    expect(issuingBackendRemoved(mesh('b', 'a', 'b'), mesh('b', 'b'), waiting)).toEqual({
      backend: 'a',
      to: 'b',
    });
    expect(
      issuingBackendRemoved(mesh('b', 'a', 'b'), mesh('b', 'b'), { ...waiting, state: 'reissuing' }),
    ).toBeUndefined();
    expect(issuingBackendRemoved(mesh('b', 'a', 'b'), mesh(undefined, 'b'), waiting)).toBeUndefined();
  });
});

describe('progress and the next state', () => {
  const waiting = planCaSwitch(mesh('a', 'a', 'b'), mesh('b', 'a', 'b'), undefined, ctx)!;
  const dps = [
    { name: 'web-1', acks: { trusted: ['a', 'b'], certBackend: 'a' } },
    { name: 'web-2', acks: { trusted: ['a'], certBackend: 'a' } },
  ];

  it('counts the dataplanes that acknowledged a bundle with the new CA, naming the others', () => {
    expect(caSwitchProgressOf(waiting, dps)).toEqual({
      id: waiting.id,
      state: 'waiting-for-bundle',
      total: 2,
      acknowledged: 1,
      waitingFor: ['web-2'],
    });
  });

  it('moves on only when every live replica counted this state and every dataplane meets it', () => {
    const mine = caSwitchProgressOf(waiting, dps);
    expect(nextCaSwitch(waiting, fleetCaSwitchProgress(waiting, [mine]), at)).toBeUndefined();
    const all = caSwitchProgressOf(waiting, [dps[0]!]);
    // A replica that has not reported this switch yet may hold dataplanes that did not acknowledge.
    expect(fleetCaSwitchProgress(waiting, [all, undefined]).complete).toBe(false);
    expect(nextCaSwitch(waiting, fleetCaSwitchProgress(waiting, [all, undefined]), at)).toBeUndefined();
    const behind = fleetCaSwitchProgress(waiting, [all, { ...all, state: 'reissuing' }]);
    expect(nextCaSwitch(waiting, behind, at)).toBeUndefined();
    const reissuing = nextCaSwitch(waiting, fleetCaSwitchProgress(waiting, [all, all]), at)!;
    expect(reissuing).toMatchObject({ state: 'reissuing', stateSince: at.toISOString() });
    expect(issuingBackendOf(mesh('b', 'a', 'b'), reissuing)).toBe('b');
    // Reissuing waits for certificates from the new backend.
    expect(caSwitchProgressOf(reissuing, dps).acknowledged).toBe(0);
    const reissued = caSwitchProgressOf(reissuing, [{ name: 'web-1', acks: { certBackend: 'b' } }]);
    expect(nextCaSwitch(reissuing, reissued, at)).toMatchObject({ state: 'done', retained: [] });
  });

  it('finishes a removal once no online dataplane holds a certificate from the removed backend', () => {
    const removal = planCaSwitch(mesh('b', 'a', 'b'), mesh('b', 'b'), undefined, ctx)!;
    const holding = caSwitchProgressOf(removal, [{ name: 'old', acks: { certBackend: 'a' } }]);
    expect(holding).toMatchObject({ acknowledged: 0, waitingFor: ['old'] });
    expect(nextCaSwitch(removal, holding, at)).toBeUndefined();
    const gone = caSwitchProgressOf(removal, [{ name: 'new', acks: { certBackend: 'b' } }]);
    expect(nextCaSwitch(removal, gone, at)).toMatchObject({ state: 'done', retained: [] });
    // A count made for another switch moves nothing.
    expect(nextCaSwitch(removal, { ...gone, id: 'other' }, at)).toBeUndefined();
    // No online dataplane at all: nothing to wait for.
    expect(nextCaSwitch(removal, caSwitchProgressOf(removal, []), at)?.state).toBe('done');
  });

  it('lists at most 20 names', () => {
    const many = Array.from({ length: 50 }, (_, i) => ({ name: `dp-${i}`, acks: {} }));
    expect(caSwitchProgressOf(waiting, many).waitingFor).toHaveLength(20);
  });
});

describe('stored records', () => {
  it('accepts what the rules write and names what is wrong in a forged one', () => {
    const sw = planCaSwitch(mesh('b', 'a', 'b'), mesh('b', 'b'), undefined, ctx)!;
    expect(storedSpecViolations('CaSwitch', sw, 'm')).toEqual([]);
    const forged = { ...sw, state: 'finished', retained: [{ backend: 'a', certPem: 'key material' }] };
    expect(storedSpecViolations('CaSwitch', forged, 'm').map((v) => v.field)).toEqual([
      'state',
      'retained[0].certPem',
    ]);
    const report = {
      instance: 'mesh-api-1',
      heartbeatAt: at.toISOString(),
      caSwitches: { m: caSwitchProgressOf(sw, []) },
    };
    expect(storedSpecViolations('ControlPlaneInstance', report)).toEqual([]);
    const lying = { ...report, caSwitches: { m: { ...report.caSwitches.m, total: 1, acknowledged: 3 } } };
    expect(storedSpecViolations('ControlPlaneInstance', lying).map((v) => v.field)).toEqual([
      'caSwitches.m.acknowledged',
    ]);
  });
});

describe('caSwitchStatusOf', () => {
  it('sums the live reports of the switch and ignores a switch the Mesh moved away from', () => {
    const sw = planCaSwitch(mesh('a', 'a', 'b'), mesh('b', 'a', 'b'), undefined, ctx)!;
    const report = (instance: string, heartbeatAt: string, acknowledged: number) => ({
      instance,
      heartbeatAt,
      caSwitches: {
        m: {
          id: sw.id,
          state: sw.state,
          total: 2,
          acknowledged,
          waitingFor: acknowledged < 2 ? [`${instance}-dp`] : [],
        },
      },
    });
    const reports = [
      report('r1', '2026-12-07T10:04:58Z', 2),
      report('r2', '2026-12-07T10:04:59Z', 1),
      report('gone', '2026-12-07T10:00:00Z', 0),
    ];
    const live = liveInstanceReports(reports, at);
    expect(live.map((r) => r.instance)).toEqual(['r1', 'r2']);
    expect(caSwitchStatusOf(mesh('b', 'a', 'b'), sw, live, 'm')).toMatchObject({
      from: 'a',
      to: 'b',
      state: 'waiting-for-bundle',
      acknowledged: 3,
      total: 4,
      waitingFor: ['r2-dp'],
    });
    expect(caSwitchStatusOf(mesh('a', 'a', 'b'), sw, live, 'm')).toBeUndefined();
  });
});
