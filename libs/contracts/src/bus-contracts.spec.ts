import type { z } from 'zod';
import type { EventContract, RequestContract } from './contract';
import * as contracts from './index';

/** A message its schema accepts, and one it refuses with the first issue at `refusedAt`. */
interface Sample {
  readonly valid: unknown;
  readonly malformed: unknown;
  readonly refusedAt: readonly PropertyKey[];
}

type Samples = { request: Sample; reply: Sample } | { payload: Sample };

const NOW = '2026-06-01T12:00:00.000Z';
const anchor = { backend: 'ca-1', certPem: '-----BEGIN CERTIFICATE-----\n...' };
const certificate = {
  certPem: '-----BEGIN CERTIFICATE-----\n...',
  chainPem: '',
  serial: 'aa01',
  notBefore: NOW,
  notAfter: '2026-06-02T12:00:00.000Z',
  backend: 'ca-1',
  uris: ['spiffe://default/web'],
};

const ping: Samples = {
  request: { valid: { from: 'mesh-api-1' }, malformed: {}, refusedAt: ['from'] },
  reply: {
    valid: { role: 'ca-signer', instance: 'ca-signer-1', startedAt: NOW },
    malformed: { role: 'nobody', instance: 'x', startedAt: NOW },
    refusedAt: ['role'],
  },
};

/** One entry per subject on the bus; the first test fails when a contract is added without one. */
const SAMPLES: Record<string, Samples> = {
  'mesh.system.ping.mesh-api.v1': ping,
  'mesh.system.ping.ca-signer.v1': ping,
  'mesh.system.ping.rotation-scheduler.v1': ping,
  'mesh.system.ping.stats-collector.v1': ping,
  'mesh.system.instance.v1': {
    payload: {
      valid: { role: 'mesh-api', instance: 'mesh-api-1', state: 'stopping', at: NOW },
      malformed: { role: 'mesh-api', instance: 'mesh-api-1', state: 'paused', at: NOW },
      refusedAt: ['state'],
    },
  },
  'mesh.ca.validate-mtls.v1': {
    request: {
      valid: { mesh: 'default', mtls: { enabledBackend: 'ca-1' }, caller: 'admin' },
      malformed: { mesh: 'default', mtls: {}, caller: 'root' },
      refusedAt: ['caller'],
    },
    reply: {
      valid: { violations: [{ field: 'mtls.backends[0].name', message: 'must be set' }], warnings: [] },
      malformed: { violations: [{ field: 'mtls' }], warnings: [] },
      refusedAt: ['violations', 0, 'message'],
    },
  },
  'mesh.ca.ensure-backends.v1': {
    request: {
      valid: { mesh: 'default', mtls: null },
      malformed: { mesh: 7, mtls: null },
      refusedAt: ['mesh'],
    },
    reply: {
      valid: { created: ['default.ca-builtin-cert-ca-1'], existing: [] },
      malformed: { created: 'default.ca-builtin-cert-ca-1', existing: [] },
      refusedAt: ['created'],
    },
  },
  'mesh.ca.issue.v1': {
    request: {
      valid: {
        mesh: 'default',
        dataplane: 'web-1',
        reason: 'new',
        requestId: 'r-1',
        csrPem: 'x'.repeat(16 * 1024),
        meshVersion: 3,
        dataplaneVersion: 7,
        backend: 'ca-1',
      },
      malformed: {
        mesh: 'default',
        dataplane: 'web-1',
        reason: 'new',
        requestId: 'r-1',
        csrPem: 'x'.repeat(16 * 1024 + 1),
        meshVersion: 3,
        dataplaneVersion: 7,
        backend: 'ca-1',
      },
      refusedAt: ['csrPem'],
    },
    reply: {
      valid: { status: 'issued', certificate, trustBundle: [anchor] },
      malformed: { status: 'shed', retryAfterMs: -1, reason: 'queue full' },
      refusedAt: ['retryAfterMs'],
    },
  },
  'mesh.ca.trust-bundle.v1': {
    request: { valid: { mesh: 'default' }, malformed: {}, refusedAt: ['mesh'] },
    reply: {
      valid: { trustBundle: [anchor] },
      malformed: { trustBundle: [{ backend: 'ca-1' }] },
      refusedAt: ['trustBundle', 0, 'certPem'],
    },
  },
  'mesh.dataplane.rotate.v1': {
    request: {
      valid: { mesh: 'default', dataplane: 'web-1', serial: 'aa01', reason: 'rotation' },
      malformed: { mesh: 'default', dataplane: 'web-1', serial: 'aa01', reason: 'whim' },
      refusedAt: ['reason'],
    },
    reply: { valid: { status: 'stale' }, malformed: { status: 'done' }, refusedAt: ['status'] },
  },
  'mesh.dataplane.certificate.v1': {
    payload: {
      valid: {
        mesh: 'default',
        dataplane: 'web-1',
        serial: 'aa01',
        reason: 'new',
        backend: 'ca-1',
        notBefore: NOW,
        notAfter: '2026-06-02T12:00:00.000Z',
        supportedBackends: ['ca-1'],
        time: NOW,
        controlPlaneInstance: 'mesh-api-1',
        withdrawn: false,
      },
      malformed: { mesh: 'default', dataplane: 'web-1', serial: 'aa01' },
      refusedAt: ['reason'],
    },
  },
  'mesh.dataplane.connection.v1': {
    payload: {
      valid: {
        mesh: 'default',
        dataplane: 'web-1',
        streamId: 's-1',
        controlPlaneInstance: 'mesh-api-1',
        kind: 'disconnected',
        connectTime: NOW,
        disconnectTime: NOW,
      },
      malformed: {
        mesh: 'default',
        dataplane: 'web-1',
        streamId: 's-1',
        controlPlaneInstance: 'mesh-api-1',
        kind: 'gone',
        connectTime: NOW,
      },
      refusedAt: ['kind'],
    },
  },
};

type AnyContract = RequestContract<unknown, unknown> | EventContract<unknown>;

function isContract(value: unknown): value is AnyContract {
  return typeof value === 'object' && value !== null && 'kind' in value && 'subject' in value;
}

/** Every contract the library exports, the pings included. */
const ALL: AnyContract[] = [
  ...(Object.values(contracts) as unknown[]).filter(isContract),
  ...Object.values(contracts.pingContracts),
];

function expectSample(schema: z.ZodType<unknown>, sample: Sample): void {
  expect(schema.safeParse(sample.valid).error?.issues).toBeUndefined();
  const refused = schema.safeParse(sample.malformed);
  expect(refused.success).toBe(false);
  expect(refused.error?.issues[0]?.path).toEqual(sample.refusedAt);
}

describe('the bus contracts', () => {
  it('have one distinct subject each, every one with samples here', () => {
    const subjects = ALL.map((c) => c.subject);
    expect(new Set(subjects).size).toBe(subjects.length);
    expect(subjects.sort()).toEqual(Object.keys(SAMPLES).sort());
  });

  it.each(ALL.map((c) => [c.subject, c] as const))(
    '%s accepts a valid message and refuses a malformed one',
    (subject, contract) => {
      const samples = SAMPLES[subject];
      if (contract.kind === 'request') {
        expect('request' in samples).toBe(true);
        if (!('request' in samples)) return;
        expectSample(contract.request, samples.request);
        expectSample(contract.reply, samples.reply);
      } else {
        expect('payload' in samples).toBe(true);
        if (!('payload' in samples)) return;
        expectSample(contract.payload, samples.payload);
      }
    },
  );

  it('address one instance on a subject of its own, whatever characters its id has', () => {
    const a = contracts.addressedTo(contracts.rotateDataplane, 'mesh-api-1@3f2a');
    const b = contracts.addressedTo(contracts.rotateDataplane, 'Mesh-API.2');
    expect(a.subject).toBe(`mesh.dataplane.rotate.v1.i${Buffer.from('mesh-api-1@3f2a').toString('hex')}`);
    expect(b.subject).not.toBe(a.subject);
    // One token after the base subject: lower-case letters and digits only, no dots or wildcards.
    expect(b.subject).toMatch(/^mesh\.dataplane\.rotate\.v1\.i[0-9a-f]+$/);
    expect(a.request).toBe(contracts.rotateDataplane.request);
    expect(a.reply).toBe(contracts.rotateDataplane.reply);
    expect(() => contracts.addressedTo(contracts.rotateDataplane, '')).toThrow('addressedTo: empty instance');
  });
});
