import {
  EMPTY_INSIGHT,
  withCertificateIssued,
  withConnected,
  withDisconnected,
} from '../insights/dataplane-insight.rules';
import type { ResourceType } from '../resource-types';
import { parseResource } from './parse-resource';
import { storedSpecViolations } from './stored-spec.validator';
import { UNIVERSAL_DOCUMENTS } from './universal-documents.test-support';

/** The spec the API stores for a universal document. */
const storedSpecOf = (doc: Record<string, unknown>) => parseResource(doc).spec;

type AcceptedCase = [what: string, doc: Record<string, unknown>];

describe('storedSpecViolations', () => {
  it.each<AcceptedCase>([
    ...Object.entries(UNIVERSAL_DOCUMENTS).map(([type, doc]): AcceptedCase => [`a ${type}`, doc]),
    ['a Mesh without mTLS', { type: 'Mesh', name: 'plain' }],
    [
      'a MeshTrafficPermission without a top-level targetRef',
      {
        type: 'MeshTrafficPermission',
        mesh: 'default',
        name: 'allow',
        spec: { from: [{ targetRef: { kind: 'Mesh' }, default: { action: 'Allow' } }] },
      },
    ],
  ])('accepts what the API stores: %s', (_what, doc) => {
    expect(storedSpecViolations(doc.type as ResourceType, storedSpecOf(doc))).toEqual([]);
  });

  it('accepts a Secret whose data is ciphertext, as it is at rest', () => {
    expect(storedSpecViolations('Secret', { data: 'enc:v1:aXY=:Ym9keQ==:dGFn' })).toEqual([]);
    expect(storedSpecViolations('GlobalSecret', { data: 'aGVsbG8=' })).toEqual([]);
  });

  it('accepts the insights the insight rules make', () => {
    const connected = withConnected(EMPTY_INSIGHT, {
      id: 's-1',
      controlPlaneInstanceId: 'cp-1',
      connectTime: '2026-06-01T00:00:00.000Z',
    })!;
    const issued = withCertificateIssued(connected, {
      serial: 'ab01',
      backend: 'ca-1',
      supportedBackends: ['ca-1'],
      notBefore: '2026-06-01T00:00:00.000Z',
      notAfter: '2026-06-02T00:00:00.000Z',
      issuedAt: '2026-06-01T00:00:01.000Z',
    })!;
    const ended = withDisconnected(issued, {
      id: 's-1',
      controlPlaneInstanceId: 'cp-1',
      connectTime: '2026-06-01T00:00:00.000Z',
      disconnectTime: '2026-06-01T01:00:00.000Z',
    })!;
    const replaced = withDisconnected(ended, {
      id: 's-2',
      controlPlaneInstanceId: 'cp-2',
      connectTime: '2026-06-01T01:00:00.000Z',
      disconnectTime: '2026-06-01T02:00:00.000Z',
      reason: 'replaced',
    })!;
    expect(replaced.replacedStreams).toBe(1);
    for (const spec of [EMPTY_INSIGHT, connected, issued, ended, replaced]) {
      expect(storedSpecViolations('DataplaneInsight', spec)).toEqual([]);
    }
  });

  it.each([
    ['Dataplane', { networking: 42 }, ['networking']],
    ['Dataplane', {}, ['networking']],
    [
      'Dataplane',
      { networking: { address: '10.0.0.1', inbound: [{ port: 'x', tags: { 'kuma.io/service': 'web' } }] } },
      ['networking.inbound[0].port'],
    ],
    ['Mesh', { mtls: { enabledBackend: 'nope' } }, ['mtls.enabledBackend']],
    ['Mesh', { mtls: 'on', extra: true }, ['extra', 'mtls']],
    ['MeshTrafficPermission', { from: 'everyone' }, ['spec.from']],
    ['Secret', { data: 42 }, ['data']],
    ['Secret', {}, ['data']],
    ['DataplaneInsight', { subscriptions: 42 }, ['subscriptions']],
    [
      'DataplaneInsight',
      { subscriptions: [{ id: 's' }] },
      ['subscriptions[0].controlPlaneInstanceId', 'subscriptions[0].connectTime'],
    ],
    [
      'DataplaneInsight',
      { subscriptions: [], mTLS: { certificateRegenerations: -1, supportedBackends: [1] } },
      ['mTLS.certificateRegenerations', 'mTLS.supportedBackends[0]'],
    ],
    ['DataplaneInsight', { subscriptions: [], certificateNotBefore: 'yesterday' }, ['certificateNotBefore']],
    [
      'DataplaneInsight',
      {
        subscriptions: [
          { id: 's', controlPlaneInstanceId: 'cp', connectTime: 'x', disconnectReason: 'bored' },
        ],
        replacedStreams: -1,
        lastReplacedTime: 'later',
      },
      [
        'subscriptions[0].connectTime',
        'subscriptions[0].disconnectReason',
        'replacedStreams',
        'lastReplacedTime',
      ],
    ],
  ] as const)('refuses a %s spec %j at the fields that are wrong', (type, spec, fields) => {
    const found = storedSpecViolations(type, spec).map((v) => v.field);
    expect([...new Set(found)].sort()).toEqual([...fields].sort());
  });

  it.each([null, undefined, 'text', 42, []])('refuses a spec that is not an object: %j', (spec) => {
    for (const type of [
      'Mesh',
      'Secret',
      'Dataplane',
      'MeshTrafficPermission',
      'DataplaneInsight',
    ] as const) {
      expect(storedSpecViolations(type, spec).length).toBeGreaterThan(0);
    }
  });

  it('never quotes the value it refuses', () => {
    const secretish = 'c2VjcmV0LXZhbHVlLXRoYXQtbXVzdC1ub3QtbGVhaw';
    const violations = storedSpecViolations('Dataplane', {
      networking: { address: secretish, inbound: [{ port: secretish, tags: { 'kuma.io/service': 7 } }] },
      [secretish.slice(0, 5)]: 1,
    });
    expect(violations.length).toBeGreaterThan(0);
    expect(JSON.stringify(violations)).not.toContain(secretish);
  });
});
