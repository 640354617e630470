import {
  caSwitchStatusOf,
  liveInstanceReports,
  meshInsightOf,
  meshInsightView,
  type CaSwitchProgress,
  type CaSwitchSpec,
  type CaSwitchState,
  type MeshSpec,
} from '@meshtls/domain';
import type { UniversalDoc } from '../api-client';

const NOW = new Date('2026-12-07T10:05:00Z');
const STARTED = '2026-12-07T10:00:00.000Z';

/** A Mesh with builtin backends `backends`, `enabled` issuing. */
const meshWith = (enabled: string, ...backends: string[]): MeshSpec => ({
  mtls: { enabledBackend: enabled, backends: backends.map((name) => ({ name, type: 'builtin' })) },
});

/**
 * One mesh's `GET /mesh-insights/{name}` answer, made as the API makes it: its switch record counted
 * from the replicas' reports (`caSwitchStatusOf`) and the view the API serves (`meshInsightView`), sent
 * through JSON as over the wire.
 */
function meshInsight(
  name: string,
  mesh: MeshSpec,
  sw?: CaSwitchSpec,
  reports: readonly Omit<CaSwitchProgress, 'id' | 'state'>[] = [],
): UniversalDoc {
  const live = liveInstanceReports(
    reports.map((progress, i) => ({
      instance: `mesh-api-${i + 1}`,
      heartbeatAt: NOW.toISOString(),
      caSwitches: sw ? { [name]: { id: sw.id, state: sw.state, ...progress } } : {},
    })),
    NOW,
  );
  const insight = {
    type: 'MeshInsight',
    name,
    creationTime: STARTED,
    modificationTime: STARTED,
    ...meshInsightView(meshInsightOf([], new Map(), {}), caSwitchStatusOf(mesh, sw, live, name)),
    caCertificates: [],
  };
  return JSON.parse(JSON.stringify(insight)) as UniversalDoc;
}

/** A switch record to `to` in `state`; `from` null: only a backend's removal is pending. */
const switchTo = (to: string, state: CaSwitchState, from: string | null = 'ca-1'): CaSwitchSpec => ({
  id: `switch-${state}`,
  ...(from === null ? {} : { from }),
  to,
  state,
  retained: [],
  startedAt: STARTED,
  stateSince: STARTED,
});

/**
 * Mesh insights of meshes at each point of a CA switch, two mesh-api replicas reporting: waiting for
 * the bundle (3 of 4 online dataplanes acknowledged it), reissuing (0 of 2), a removed backend still
 * trusted (1 of 2), a switch done, and a mesh that never had one.
 */
export function caSwitchInsights(): UniversalDoc[] {
  const both = meshWith('ca-2', 'ca-1', 'ca-2');
  return [
    meshInsight('bundle', both, switchTo('ca-2', 'waiting-for-bundle'), [
      { total: 3, acknowledged: 3, waitingFor: [] },
      { total: 1, acknowledged: 0, waitingFor: ['web-7'] },
    ]),
    meshInsight('reissue', both, switchTo('ca-2', 'reissuing'), [
      { total: 2, acknowledged: 0, waitingFor: ['web-1', 'web-2'] },
    ]),
    meshInsight('removal', meshWith('ca-2', 'ca-2'), switchTo('ca-2', 'waiting-for-removal', null), [
      { total: 1, acknowledged: 1, waitingFor: [] },
      { total: 1, acknowledged: 0, waitingFor: ['api-3'] },
    ]),
    meshInsight('switched', both, switchTo('ca-2', 'done')),
    meshInsight('plain', meshWith('ca-1', 'ca-1')),
  ];
}
