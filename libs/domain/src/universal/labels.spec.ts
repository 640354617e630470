import type { ResourceRecord } from '../resource';
import { violationsOf } from '../test-support/violations-of';
import { BadRequestError, ValidationError } from '../errors';
import { kriOf, resourceKeyOfKri } from './kri';
import { immutableLabelViolations, labelsOf, workloadLabelProblem } from './labels';
import { parseResource, parseResourceAt } from './parse-resource';
import { storedSpecViolations } from './stored-spec.validator';
import { assertUniversalFormat, toKumaUniversal, toUniversal } from './to-universal';

// Kuma 2.14.3, pkg/api-server/testdata/resources/crud/put_mtp_02: the labels and what Kuma answers.
const KUMA_BAD_LABELS = { 'foo/bar/baz': 'bar', '': 'bar', foo: '^*bar' };
const KUMA_BAD_LABEL_VIOLATIONS = [
  { field: 'labels[""]', message: 'name part must be non-empty' },
  {
    field: 'labels[""]',
    message:
      "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
  },
  {
    field: 'labels["foo"]',
    message:
      "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
  },
  {
    field: 'labels["foo/bar/baz"]',
    message:
      "a valid label key must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
  },
];

const MTP = {
  type: 'MeshTrafficPermission',
  mesh: 'default',
  name: 'sample',
  spec: {
    targetRef: { kind: 'Mesh' },
    from: [{ targetRef: { kind: 'Mesh' }, default: { action: 'Allow' } }],
  },
};
const DOCS = {
  Mesh: { type: 'Mesh', name: 'default' },
  Secret: { type: 'Secret', mesh: 'default', name: 's', data: 'dGVzdAo=' },
  GlobalSecret: { type: 'GlobalSecret', name: 'g', data: 'dGVzdAo=' },
  Dataplane: {
    type: 'Dataplane',
    mesh: 'default',
    name: 'dp-1',
    networking: { address: '10.1.2.1', inbound: [{ port: 1234, tags: { 'kuma.io/service': 'my-svc' } }] },
  },
  MeshTrafficPermission: MTP,
} as const;

const times = { creationTime: '2024-05-01T10:00:00Z', modificationTime: '2024-05-02T11:00:00Z' };
function stored(doc: unknown): ResourceRecord {
  const { key, spec } = parseResource(doc);
  return { meta: { ...key, version: 1, ...times }, spec };
}

describe('labels', () => {
  it("refuses Kuma's bad keys and values with Kuma's words, keys in order", () => {
    expect(violationsOf({ ...MTP, labels: KUMA_BAD_LABELS })).toEqual(KUMA_BAD_LABEL_VIOLATIONS);
  });

  it.each([
    [{ 'Example.com/x': 'v' }, 'labels["Example.com/x"]', /^prefix part a lowercase RFC 1123 subdomain/],
    [{ '/x': 'v' }, 'labels["/x"]', /^prefix part must be non-empty$/],
    [
      { ['a'.repeat(64)]: 'v' },
      `labels["${'a'.repeat(64)}"]`,
      /^name part must be no more than 63 characters$/,
    ],
    [{ k: 'v'.repeat(64) }, 'labels["k"]', /^must be no more than 63 characters$/],
    [{ k: 7 }, 'labels["k"]', /^must be a string$/],
    [{ 'kuma.io/origin': 'elsewhere' }, 'labels["kuma.io/origin"]', /^unknown resource origin "elsewhere"$/],
    [
      { 'kuma.io/zone': 'east' },
      'labels["kuma.io/zone"]',
      /^kuma\.io\/zone label should have default value$/,
    ],
    [
      { 'kuma.io/mesh': 'other' },
      'labels["kuma.io/mesh"]',
      /^kuma\.io\/mesh label must not differ from mesh set on resource$/,
    ],
  ])('refuses %j at %s', (labels, field, message) => {
    const violations = violationsOf({ ...DOCS.Secret, labels });
    expect(violations).toHaveLength(1);
    expect(violations[0]!.field).toBe(field);
    expect(violations[0]!.message).toMatch(message);
  });

  it('refuses a labels field that is not a map', () => {
    expect(violationsOf({ ...DOCS.Mesh, labels: ['a'] })).toEqual([
      { field: 'labels', message: 'must be an object' },
    ]);
  });

  it.each(Object.entries(DOCS))(
    'keeps the labels of a %s at spec.labels and renders them back',
    (_type, doc) => {
      const labels = { team: 'payments', 'example.com/tier': '' };
      const record = stored({ ...doc, labels });
      expect((record.spec as { labels: unknown }).labels).toEqual(labels);
      expect(toUniversal(record).labels).toEqual(labels);
      expect(storedSpecViolations(record.meta.type, record.spec, record.meta.mesh)).toEqual([]);
      const rendered = toUniversal(record);
      if (record.meta.type === 'MeshTrafficPermission') expect(rendered.spec).not.toHaveProperty('labels');
    },
  );

  it('finds bad labels in a stored record, as in a document', () => {
    expect(storedSpecViolations('Secret', { data: 'eA==', labels: { foo: '^*bar' } })).toEqual([
      KUMA_BAD_LABEL_VIOLATIONS[2],
    ]);
    expect(
      storedSpecViolations(
        'MeshTrafficPermission',
        { ...MTP.spec, labels: { 'kuma.io/mesh': 'x' } },
        'default',
      ),
    ).toEqual([
      {
        field: 'labels["kuma.io/mesh"]',
        message: 'kuma.io/mesh label must not differ from mesh set on resource',
      },
    ]);
    expect(storedSpecViolations('Mesh', { labels: 'x' })).toEqual([
      { field: 'labels', message: 'must be an object' },
    ]);
  });
});

describe('labels and kri Kuma adds on read', () => {
  // Kuma 2.14.3 golden files put_secret_01, put_globalsecret_01, put_update_dataplanes_01, put_meshes_00.
  it.each([
    [
      'Secret',
      {
        'kuma.io/env': 'universal',
        'kuma.io/mesh': 'default',
        'kuma.io/origin': 'zone',
        'kuma.io/zone': 'default',
      },
      undefined,
    ],
    [
      'GlobalSecret',
      { 'kuma.io/env': 'universal', 'kuma.io/origin': 'zone', 'kuma.io/zone': 'default' },
      undefined,
    ],
    [
      'Dataplane',
      {
        'kuma.io/env': 'universal',
        'kuma.io/mesh': 'default',
        'kuma.io/origin': 'zone',
        'kuma.io/proxy-type': 'sidecar',
        'kuma.io/zone': 'default',
      },
      'kri_dp_default_default__dp-1_',
    ],
    ['Mesh', undefined, 'kri_m____default_'],
    [
      'MeshTrafficPermission',
      {
        'kuma.io/env': 'universal',
        'kuma.io/mesh': 'default',
        'kuma.io/origin': 'zone',
        'kuma.io/zone': 'default',
      },
      'kri_mtp_default_default__sample_',
    ],
  ] as const)('renders a %s with labels %j and kri %s', (type, labels, kri) => {
    const rendered = toKumaUniversal(stored(DOCS[type]));
    expect(rendered.labels).toEqual(labels);
    expect(Object.keys(rendered.labels ?? {})).toEqual(Object.keys(labels ?? {}));
    expect(rendered.kri).toEqual(kri);
    const keys = Object.keys(rendered);
    expect(keys.slice(0, keys.indexOf('modificationTime') + 1)).toEqual(
      type === 'Mesh' || type === 'GlobalSecret'
        ? ['type', 'name', 'creationTime', 'modificationTime']
        : ['type', 'mesh', 'name', 'creationTime', 'modificationTime'],
    );
  });

  it("lets a user's own value win and names the kri after kuma.io/display-name", () => {
    const record = stored({
      ...DOCS.Dataplane,
      labels: { 'kuma.io/display-name': 'web', 'kuma.io/origin': 'global' },
    });
    const labels = labelsOf(record.meta, record.spec);
    expect(labels).toEqual({
      'kuma.io/display-name': 'web',
      'kuma.io/mesh': 'default',
      'kuma.io/origin': 'global',
      'kuma.io/proxy-type': 'sidecar',
    });
    expect(kriOf(record.meta, labels)).toBe('kri_dp_default___web_');
  });
});

describe('parseResourceAt', () => {
  it('reports, as Kuma, the URL disagreements first, then the labels, then the rest', () => {
    let error: unknown;
    try {
      parseResourceAt(
        { type: 'Secret', mesh: 'other', name: 'Bad_Name', data: 'eA==', labels: { foo: '^*bar' } },
        { type: 'Secret', mesh: 'default', name: 's' },
      );
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(ValidationError);
    const fields = (error as ValidationError).violations.map((v) => v.field);
    expect(fields.slice(0, 2)).toEqual(['name', 'mesh']);
    expect((error as ValidationError).violations[0]!.message).toBe(
      'name from the URL has to be the same as in body',
    );
    expect((error as ValidationError).violations[1]!.message).toBe(
      'mesh from the URL has to be the same as in body',
    );
    expect(fields.indexOf('labels["foo"]')).toBeLessThan(fields.lastIndexOf('name'));
  });

  it('says the type of the URL differs', () => {
    expect(() => parseResourceAt(DOCS.Secret, { type: 'GlobalSecret', name: 's' })).toThrow(ValidationError);
    try {
      parseResourceAt(DOCS.GlobalSecret, { type: 'Secret', mesh: 'default', name: 'g' });
    } catch (thrown) {
      expect((thrown as ValidationError).violations).toContainEqual({
        field: 'type',
        message: 'type from the URL has to be the same as in body',
      });
    }
    expect(parseResourceAt(DOCS.Secret, { type: 'Secret', mesh: 'default', name: 's' }).key.name).toBe('s');
  });
});

describe('a rendered resource applied back', () => {
  it.each(Object.entries(DOCS))(
    'parses a %s as Kuma rendered it, kri ignored and labels kept',
    (_type, doc) => {
      const record = stored(doc);
      const again = parseResource(toKumaUniversal(record));
      expect(again.key).toEqual({
        type: record.meta.type,
        ...(record.meta.mesh ? { mesh: record.meta.mesh } : {}),
        name: record.meta.name,
      });
      expect(again.spec).not.toHaveProperty('kri');
      expect(toKumaUniversal({ meta: record.meta, spec: again.spec })).toEqual(toKumaUniversal(record));
    },
  );
});

describe('immutableLabelViolations', () => {
  // Kuma 2.14.3 golden files put_immutable_origin_01 and put_immutable_displayname_01.
  it('refuses a changed origin and the zone it removes, in Kuma’s order and words', () => {
    expect(
      immutableLabelViolations(
        { 'kuma.io/origin': 'zone', 'kuma.io/zone': 'default', 'kuma.io/env': 'universal' },
        { 'kuma.io/origin': 'global' },
      ),
    ).toEqual([
      {
        field: 'labels["kuma.io/origin"]',
        message: 'is immutable, cannot be changed from "zone" to "global"',
      },
      { field: 'labels["kuma.io/zone"]', message: 'is immutable, cannot be removed (was "default")' },
    ]);
  });

  it('refuses a changed display name and lets every other label change', () => {
    expect(
      immutableLabelViolations(
        { 'kuma.io/display-name': 'my-display-name', team: 'a' },
        { 'kuma.io/display-name': 'different-display-name', team: 'b' },
      ),
    ).toEqual([
      {
        field: 'labels["kuma.io/display-name"]',
        message: 'is immutable, cannot be changed from "my-display-name" to "different-display-name"',
      },
    ]);
    expect(immutableLabelViolations({ team: 'a' }, { 'kuma.io/display-name': 'x' })).toEqual([]);
  });
});

describe('workloadLabelProblem', () => {
  // Kuma 2.14.3 golden files workload_label_validation_01 and _02 (the detail after "bad request: ").
  const KUMA_DETAIL =
    'labels["kuma.io/workload"]: must be a valid DNS-1035 label (at most 63 characters, matching regex [a-z]([-a-z0-9]*[a-z0-9])?): ' +
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";

  it.each(['MyWorkload', '1workload'])('refuses %s with Kuma’s words', (workload) => {
    expect(workloadLabelProblem({ 'kuma.io/workload': workload })).toBe(KUMA_DETAIL);
  });

  it('accepts a DNS-1035 label, and no label', () => {
    expect(workloadLabelProblem({ 'kuma.io/workload': 'my-workload' })).toBeUndefined();
    expect(workloadLabelProblem({})).toBeUndefined();
  });
});

describe('resourceKeyOfKri', () => {
  it('names the resource of this zone a kri identifies', () => {
    expect(resourceKeyOfKri('kri_mtp_default_default__mtp-1_')).toEqual({
      type: 'MeshTrafficPermission',
      mesh: 'default',
      name: 'mtp-1',
    });
    expect(resourceKeyOfKri('kri_dp_default___dp-1_')).toEqual({
      type: 'Dataplane',
      mesh: 'default',
      name: 'dp-1',
    });
    expect(resourceKeyOfKri('kri_m____default_')).toEqual({ type: 'Mesh', name: 'default' });
    expect(resourceKeyOfKri('kri_dp_default_east__dp-1_')).toBeUndefined();
  });

  it.each([
    ['kri___default_default__mtp-3_', 'unknown short name of resource type: ""'],
    ['kri_ms_default_default__svc_', 'unknown short name of resource type: "ms"'],
    ['kri_mtp_default', 'invalid identifier string: "kri_mtp_default"'],
    [
      'kra_mtp_default_default__mtp-1_',
      `identifier must start with 'kri': "kra_mtp_default_default__mtp-1_"`,
    ],
  ])('refuses %s as Kuma: %s', (text, message) => {
    expect(() => resourceKeyOfKri(text)).toThrow(new BadRequestError(message));
  });
});

describe('assertUniversalFormat', () => {
  it('renders universal, refuses the Kubernetes formats, and anything else in Kuma’s words', () => {
    for (const ok of [undefined, '', 'universal', ['universal', 'x']])
      expect(() => assertUniversalFormat(ok)).not.toThrow();
    for (const k8s of ['k8s', 'kubernetes'])
      expect(violationsOfThrown(() => assertUniversalFormat(k8s))[0]!.field).toBe('');
    expect(violationsOfThrown(() => assertUniversalFormat('yaml'))).toEqual([
      { field: '', message: '"format" must be one of ["k8s", "kubernetes", "universal"]' },
    ]);
  });
});

function violationsOfThrown(run: () => void): readonly { field: string; message: string }[] {
  try {
    run();
  } catch (error) {
    if (error instanceof ValidationError) return error.violations;
    throw error;
  }
  throw new Error('nothing thrown');
}
