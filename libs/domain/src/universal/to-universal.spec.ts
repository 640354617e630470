import type { ResourceRecord } from '../resource';
import { parseResource } from './parse-resource';
import { toUniversal } from './to-universal';

const times = { creationTime: '2024-05-01T10:00:00Z', modificationTime: '2024-05-02T11:00:00Z' };

/** Stores a parsed document as the store would, with a version and timestamps. */
function asRecord(doc: unknown): ResourceRecord {
  const { key, spec } = parseResource(doc);
  return { meta: { ...key, version: 3, ...times }, spec };
}

const DOCUMENTS = {
  Mesh: {
    type: 'Mesh',
    name: 'default',
    mtls: {
      enabledBackend: 'ca-1',
      backends: [
        {
          name: 'ca-1',
          type: 'builtin',
          dpCert: { rotation: { expiration: '1d' } },
          conf: { caCert: { RSAbits: 2048 } },
        },
        {
          name: 'ca-2',
          type: 'provided',
          mode: 'PERMISSIVE',
          conf: { cert: { secret: 'c' }, key: { secret: 'k' } },
        },
      ],
    },
  },
  Secret: { type: 'Secret', mesh: 'default', name: 'c', data: 'Y2VydA==' },
  GlobalSecret: { type: 'GlobalSecret', name: 'g', data: 'Zw==' },
  Dataplane: {
    type: 'Dataplane',
    mesh: 'default',
    name: 'web-01',
    networking: {
      address: '10.0.0.1',
      inbound: [{ port: 8080, servicePort: 80, tags: { 'kuma.io/service': 'web' } }],
      outbound: [{ port: 10001, tags: { 'kuma.io/service': 'backend' } }],
    },
  },
  MeshTrafficPermission: {
    type: 'MeshTrafficPermission',
    mesh: 'default',
    name: 'allow-web',
    spec: {
      targetRef: { kind: 'MeshService', name: 'backend' },
      from: [{ targetRef: { kind: 'MeshService', name: 'web' }, default: { action: 'Allow' } }],
    },
  },
};

describe('toUniversal', () => {
  it.each(Object.entries(DOCUMENTS))('renders a %s as it was written, with timestamps', (_type, doc) => {
    expect(toUniversal(asRecord(doc))).toEqual({ ...doc, ...times });
  });

  it.each(Object.entries(DOCUMENTS))('round-trips a %s through parseResource', (_type, doc) => {
    const record = asRecord(doc);
    expect(parseResource(toUniversal(record))).toEqual({
      key: {
        type: record.meta.type,
        ...(record.meta.mesh ? { mesh: record.meta.mesh } : {}),
        name: record.meta.name,
      },
      spec: record.spec,
    });
  });

  it('orders keys as Kuma prints them and nests a policy spec', () => {
    expect(Object.keys(toUniversal(asRecord(DOCUMENTS.Dataplane)))).toEqual([
      'type',
      'mesh',
      'name',
      'creationTime',
      'modificationTime',
      'networking',
    ]);
    expect(Object.keys(toUniversal(asRecord(DOCUMENTS.MeshTrafficPermission)))).toEqual([
      'type',
      'mesh',
      'name',
      'creationTime',
      'modificationTime',
      'spec',
    ]);
    expect(toUniversal(asRecord(DOCUMENTS.Mesh))).not.toHaveProperty('mesh');
  });

  it('returns a copy that does not change the record', () => {
    const record = asRecord(DOCUMENTS.Secret);
    const rendered = toUniversal(record);
    rendered.data = 'changed';
    expect(record.spec).toEqual({ data: 'Y2VydA==' });
  });
});
