import type { ResourceRecord } from '../resource';
import { parseResource } from './parse-resource';
import { toUniversal } from './to-universal';
import { UNIVERSAL_DOCUMENTS } from './universal-documents.test-support';

const times = { creationTime: '2024-05-01T10:00:00Z', modificationTime: '2024-05-02T11:00:00Z' };

/** Stores a parsed document as the store would, with a version and timestamps. */
function asRecord(doc: unknown): ResourceRecord {
  const { key, spec } = parseResource(doc);
  return { meta: { ...key, version: 3, ...times }, spec };
}

describe('toUniversal', () => {
  it.each(Object.entries(UNIVERSAL_DOCUMENTS))(
    'renders a %s as it was written, with timestamps',
    (_type, doc) => {
      expect(toUniversal(asRecord(doc))).toEqual({ ...doc, ...times });
    },
  );

  it.each(Object.entries(UNIVERSAL_DOCUMENTS))('round-trips a %s through parseResource', (_type, doc) => {
    const record = asRecord(doc);
    expect(parseResource(toUniversal(record))).toEqual({
      warnings: [],
      key: {
        type: record.meta.type,
        ...(record.meta.mesh ? { mesh: record.meta.mesh } : {}),
        name: record.meta.name,
      },
      spec: record.spec,
    });
  });

  it('orders keys as Kuma prints them and nests a policy spec', () => {
    expect(Object.keys(toUniversal(asRecord(UNIVERSAL_DOCUMENTS.Dataplane)))).toEqual([
      'type',
      'mesh',
      'name',
      'creationTime',
      'modificationTime',
      'networking',
    ]);
    expect(Object.keys(toUniversal(asRecord(UNIVERSAL_DOCUMENTS.MeshTrafficPermission)))).toEqual([
      'type',
      'mesh',
      'name',
      'creationTime',
      'modificationTime',
      'spec',
    ]);
    expect(toUniversal(asRecord(UNIVERSAL_DOCUMENTS.Mesh))).not.toHaveProperty('mesh');
  });

  it('returns a copy that does not change the record', () => {
    const record = asRecord(UNIVERSAL_DOCUMENTS.Secret);
    const rendered = toUniversal(record);
    rendered.data = 'changed';
    expect(record.spec).toEqual({ data: 'Y2VydA==' });
  });
});
