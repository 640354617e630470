import { createPrivateKey, createPublicKey, generateKeyPairSync, verify, type KeyObject } from 'node:crypto';
import { ResourceType, ValidationError, secretBytes, type SecretSpec } from '@meshtls/domain';
import { signJwt } from '@meshtls/pki';
import { MemoryResourceStore } from '@meshtls/store/adapters';
import { FakeClock } from '@meshtls/util';
import { MeshNotFoundError } from '../../ports/ca.errors';
import { DataplaneTokenError, type TokenRefusal } from '../dataplanes/dataplane-token.port';
import { DataplaneTokenService } from './dataplane-token.service';
import { DATAPLANE_TOKEN_VALIDITY } from './dataplane-token.validation';
import { SigningKeyInvalidError } from './tokens.errors';

const DAY = 86_400_000;
const keySecret = (mesh: string, serial = 1) => ({
  type: ResourceType.Secret,
  mesh,
  name: `dataplane-token-signing-key-${mesh}-${serial}`,
});
const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const segments = (token: string) => {
  const [h, p, s] = token.split('.');
  return {
    header: JSON.parse(Buffer.from(h, 'base64url').toString()),
    claims: JSON.parse(Buffer.from(p, 'base64url').toString()),
    h,
    p,
    s,
  };
};

async function storedKey(store: MemoryResourceStore, mesh: string, serial = 1): Promise<KeyObject> {
  const record = await store.get(keySecret(mesh, serial));
  return createPrivateKey(secretBytes(record!.spec as SecretSpec).toString('utf8'));
}

async function refusalOf(promise: Promise<unknown>): Promise<{ refusal: TokenRefusal; message: string }> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(DataplaneTokenError);
    const { refusal, message, code } = error as DataplaneTokenError;
    expect(code).toBe('dataplane-token.refused');
    return { refusal, message };
  }
  throw new Error('expected a refusal');
}

describe('DataplaneTokenService', () => {
  let store: MemoryResourceStore;
  let clock: FakeClock;
  let service: DataplaneTokenService;

  beforeEach(async () => {
    clock = new FakeClock('2026-03-01T00:00:00Z');
    store = new MemoryResourceStore(clock);
    await store.create({ type: ResourceType.Mesh, name: 'default' }, {});
    await store.create({ type: ResourceType.Mesh, name: 'other' }, {});
    service = new DataplaneTokenService(store, clock);
  });

  it("issues a token that verifies to its mesh, name, tags, key and expiry (ten years by default, Kuma's)", async () => {
    const token = await service.issue({
      mesh: 'default',
      name: 'dp-1',
      tags: { 'kuma.io/service': ['web', 'api', 'web'] },
    });
    expect(await service.verify(token)).toEqual({
      mesh: 'default',
      name: 'dp-1',
      tags: { 'kuma.io/service': ['api', 'web'] },
      type: '',
      workload: '',
      keyId: '1',
      expiresAt: new Date(clock.now().getTime() + 3650 * DAY),
    });
    expect(DATAPLANE_TOKEN_VALIDITY.defaultMs).toBe(3650 * DAY);
    expect(await service.verify(`${token}\n`)).toMatchObject({ name: 'dp-1' });
  });

  it("writes Kuma's claims, in Kuma's order, and an ES256 header, checked with crypto.verify and the stored key", async () => {
    const token = await service.issue({
      mesh: 'default',
      name: 'dp-1',
      tags: { 'kuma.io/service': ['web', 'api'] },
      type: 'dataplane',
      workload: 'backend',
      validForMs: DAY,
    });
    const { header, claims, h, p, s } = segments(token);
    expect(header).toEqual({ alg: 'ES256', typ: 'JWT', kid: '1' });
    const now = Date.parse('2026-03-01T00:00:00Z') / 1000;
    // As Kuma's issuer: valid from five seconds ago (clock skew) until validFor from now.
    expect(claims).toEqual({
      Name: 'dp-1',
      Mesh: 'default',
      Tags: { 'kuma.io/service': ['api', 'web'] },
      Type: 'dataplane',
      Workload: 'backend',
      exp: now + 86_400,
      nbf: now - 5,
      iat: now - 5,
      jti: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/),
    });
    expect(Object.keys(claims)).toEqual([
      'Name',
      'Mesh',
      'Tags',
      'Type',
      'Workload',
      'exp',
      'nbf',
      'iat',
      'jti',
    ]);
    const unbound = segments(await service.issue({ mesh: 'default' })).claims;
    expect(unbound).toMatchObject({ Name: '', Mesh: 'default', Tags: {}, Type: '', Workload: '' });
    const publicKey = createPublicKey(await storedKey(store, 'default'));
    expect(publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    const ok = verify(
      'sha256',
      Buffer.from(`${h}.${p}`),
      { key: publicKey, dsaEncoding: 'ieee-p1363' },
      Buffer.from(s, 'base64url'),
    );
    expect(ok).toBe(true);
    const other = segments(await service.issue({ mesh: 'default', name: 'dp-1', validForMs: DAY }));
    expect(other.claims.jti).not.toBe(claims.jti);
  });

  it('keeps the signing key as a PKCS#8 PEM Secret of the mesh, made once and reused', async () => {
    await service.issue({ mesh: 'default', name: 'dp-1' });
    const record = await store.get(keySecret('default'));
    expect(secretBytes(record!.spec as SecretSpec).toString('utf8')).toMatch(
      /^-----BEGIN PRIVATE KEY-----\n/,
    );
    await service.issue({ mesh: 'default', name: 'dp-2' });
    expect((await store.get(keySecret('default')))!.meta.version).toBe(record!.meta.version);
    expect(await store.get(keySecret('other'))).toBeUndefined();
  });

  it('refuses an expired token, by the injected clock', async () => {
    const token = await service.issue({ mesh: 'default', name: 'dp-1', validForMs: 60_000 });
    clock.advance(59_000);
    await expect(service.verify(token)).resolves.toMatchObject({ name: 'dp-1' });
    clock.advance(1_000);
    expect(await refusalOf(service.verify(token))).toEqual({
      refusal: 'expired',
      message: 'the token expired at 2026-03-01T00:01:00.000Z',
    });
  });

  it('refuses a tampered payload, also after the genuine token was verified (and remembered)', async () => {
    const genuine = await service.issue({ mesh: 'default', name: 'dp-1' });
    await expect(service.verify(genuine)).resolves.toMatchObject({ name: 'dp-1' });
    const { h, s, claims } = segments(genuine);
    const tampered = `${h}.${b64url({ ...claims, Name: 'dp-2' })}.${s}`;
    expect((await refusalOf(service.verify(tampered))).refusal).toBe('bad-signature');
  });

  it("refuses a token signed with another mesh's key and its mesh claim changed", async () => {
    const { claims } = segments(await service.issue({ mesh: 'other', name: 'dp-1' }));
    await service.issue({ mesh: 'default', name: 'dp-0' });
    const forged = signJwt({ ...claims, Mesh: 'default' }, await storedKey(store, 'other'), '1');
    expect(await refusalOf(service.verify(forged))).toEqual({
      refusal: 'bad-signature',
      message: 'the token signature does not verify with signing key 1 of mesh "default"',
    });
  });

  it('revokes every token of a deleted key, on every replica, also after a new key is made', async () => {
    const token = await service.issue({ mesh: 'default', name: 'dp-1' });
    const replica = new DataplaneTokenService(store, clock);
    await replica.verify(token); // caches the parsed key
    await store.delete(keySecret('default'));
    expect((await refusalOf(replica.verify(token))).refusal).toBe('unknown-key');
    await service.issue({ mesh: 'default', name: 'dp-1' }); // makes a new key 1
    expect((await refusalOf(replica.verify(token))).refusal).toBe('bad-signature');
  });

  it('refuses a token naming a key the mesh does not have, quoting only serial-shaped ids', async () => {
    const { claims } = segments(await service.issue({ mesh: 'default', name: 'dp-1' }));
    const key = await storedKey(store, 'default');
    expect(await refusalOf(service.verify(signJwt(claims, key, '2')))).toEqual({
      refusal: 'unknown-key',
      message: 'mesh "default" has no signing key 2: it was rotated out, or the mesh was deleted',
    });
    const odd = await refusalOf(service.verify(signJwt(claims, key, '<script>')));
    expect(odd.refusal).toBe('unknown-key');
    expect(odd.message).not.toContain('script');
    const noKid = `${b64url({ alg: 'ES256' })}.${b64url(claims)}.${segments(signJwt(claims, key, '1')).s}`;
    expect((await refusalOf(service.verify(noKid))).refusal).toBe('malformed');
  });

  it('signs with the highest serial and still verifies tokens of older keys (rotation)', async () => {
    const old = await service.issue({ mesh: 'default', name: 'dp-1' });
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    await store.create(keySecret('default', 2), { data: Buffer.from(pem).toString('base64') });
    const fresh = await service.issue({ mesh: 'default', name: 'dp-1' });
    expect(segments(fresh).header.kid).toBe('2');
    expect((await service.verify(fresh)).keyId).toBe('2');
    expect((await service.verify(old)).keyId).toBe('1');
  });

  it.each([
    ['an empty token', 'missing', ''],
    ['blank text', 'missing', '  \n'],
    ['text that is not a JWT', 'malformed', 'not-a-token'],
    [
      'alg none',
      'malformed',
      `${b64url({ alg: 'none', kid: '1' })}.${b64url({ Mesh: 'default', Name: 'x', exp: 2e9 })}.`,
    ],
  ])('refuses %s as %s', async (_name, refusal, token) => {
    expect((await refusalOf(service.verify(token))).refusal).toBe(refusal);
  });

  it('refuses signed tokens whose claims are not a dataplane token', async () => {
    await service.issue({ mesh: 'default', name: 'dp-0' });
    const key = await storedKey(store, 'default');
    const cases = [
      { Name: 'dp-1', exp: 2e9 },
      { Mesh: 'default', Name: 'Not A Name', exp: 2e9 },
      { Mesh: 'default', Name: 'dp-1' },
      { Mesh: 'default', Name: 'dp-1', exp: 2e9, Tags: { a: 1 } },
    ];
    for (const claims of cases) {
      expect((await refusalOf(service.verify(signJwt(claims, key, '1')))).refusal).toBe('malformed');
    }
  });

  it('never quotes the token in a refusal', async () => {
    const token = await service.issue({ mesh: 'default', name: 'dp-1', validForMs: 1000 });
    const { h, p, s } = segments(token);
    clock.advance(2000);
    for (const text of [token, `${h}.${p}.${s.slice(0, -2)}AA`, `${h}.${p}`, `${p}.${h}.${s}`]) {
      const { message } = await refusalOf(service.verify(text));
      for (const part of [h, p, s]) expect(message).not.toContain(part);
    }
  });

  it('makes exactly one signing key when replicas race on the first tokens of a mesh', async () => {
    const create = jest.spyOn(store, 'create');
    const replicas = [1, 2, 3].map(() => new DataplaneTokenService(store, clock));
    const tokens = await Promise.all([
      ...replicas.map((r, i) => r.issue({ mesh: 'default', name: `dp-${i}` })),
      replicas[0].issue({ mesh: 'default', name: 'dp-again' }),
    ]);
    const keys = (await store.list(ResourceType.Secret, { mesh: 'default' })).items;
    expect(keys.map((k) => k.meta.name)).toEqual(['dataplane-token-signing-key-default-1']);
    expect(create).toHaveBeenCalledTimes(3); // one per replica raced; the process shared its own attempt
    for (const token of tokens) {
      for (const replica of replicas) expect((await replica.verify(token)).keyId).toBe('1');
    }
  });

  it('refuses to issue for a mesh that does not exist, and makes no key for it', async () => {
    await expect(service.issue({ mesh: 'nowhere', name: 'dp-1' })).rejects.toThrow(MeshNotFoundError);
    expect(await store.get(keySecret('nowhere'))).toBeUndefined();
  });

  it.each([
    [{ mesh: '', name: 'dp-1' }, 'mesh'],
    [{ mesh: 'default', name: 'Bad_Name' }, 'name'],
    [{ mesh: 'default', name: 'dp-1', validForMs: 0 }, 'validFor'],
    [{ mesh: 'default', name: 'dp-1', validForMs: -5 }, 'validFor'],
    [{ mesh: 'default', name: 'dp-1', validForMs: 1.5 }, 'validFor'],
    [{ mesh: 'default', name: 'dp-1', validForMs: DATAPLANE_TOKEN_VALIDITY.maxMs + 1 }, 'validFor'],
    [{ mesh: 'default', name: 'dp-1', tags: { 'kuma.io/service': [''] } }, 'tags["kuma.io/service"]'],
    [{ mesh: 'default', name: 'dp-1', tags: { 'kuma.io/service': [] } }, 'tags["kuma.io/service"]'],
    [{ mesh: 'default', type: 'ingress' }, 'type'],
    [{ mesh: 'default', workload: 'not a label' }, 'workload'],
  ])('refuses the command %j naming field %s', async (command, field) => {
    const error = await service.issue(command).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).violations.map((v) => v.field)).toEqual([field]);
  });

  it('refuses tags that would make a token too long to be accepted', async () => {
    const tags = Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`tag-${i}`, ['v'.repeat(40)]]));
    const error = await service.issue({ mesh: 'default', name: 'dp-1', tags }).catch((e: unknown) => e);
    expect((error as ValidationError).violations.map((v) => v.field)).toEqual(['tags']);
  });

  it('accepts the longest validity, ten years', async () => {
    const token = await service.issue({
      mesh: 'default',
      name: 'dp-1',
      validForMs: DATAPLANE_TOKEN_VALIDITY.maxMs,
    });
    expect((await service.verify(token)).expiresAt.getTime() - clock.now().getTime()).toBe(3650 * DAY);
  });

  it('fails plainly on a stored key that is not an EC P-256 key, without quoting it', async () => {
    await store.create(keySecret('default'), {
      data: Buffer.from('garbage-key-material').toString('base64'),
    });
    const error = await service.issue({ mesh: 'default', name: 'dp-1' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SigningKeyInvalidError);
    expect((error as Error).message).not.toContain('garbage');
    const anyKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const token = signJwt({ Mesh: 'default', Name: 'dp-1', exp: 2e9 }, anyKey, '1');
    expect((await refusalOf(service.verify(token))).refusal).toBe('unknown-key');
  });

  it('issues a token without a name (any dataplane of the mesh), and verifies it to an empty name', async () => {
    const token = await service.issue({ mesh: 'default', tags: { 'kuma.io/service': ['web'] } });
    expect(await service.verify(token)).toMatchObject({
      mesh: 'default',
      name: '',
      tags: { 'kuma.io/service': ['web'] },
    });
  });

  it('still accepts tokens of the first claim form (single-string tags, no nbf) until they expire', async () => {
    await service.issue({ mesh: 'default', name: 'dp-0' });
    const key = await storedKey(store, 'default');
    const iat = Math.floor(clock.now().getTime() / 1000);
    const legacy = signJwt(
      { Name: 'dp-1', Mesh: 'default', Tags: { 'kuma.io/service': 'web' }, iat, exp: iat + 60, jti: 'j' },
      key,
      '1',
    );
    expect(await service.verify(legacy)).toEqual({
      mesh: 'default',
      name: 'dp-1',
      tags: { 'kuma.io/service': ['web'] },
      type: '',
      workload: '',
      keyId: '1',
      expiresAt: new Date((iat + 60) * 1000),
    });
    clock.advance(60_000);
    expect((await refusalOf(service.verify(legacy))).refusal).toBe('expired');
  });

  it('refuses a token before its nbf, and one whose nbf, Type or Workload is not of its type', async () => {
    await service.issue({ mesh: 'default', name: 'dp-0' });
    const key = await storedKey(store, 'default');
    const now = Math.floor(clock.now().getTime() / 1000);
    const base = { Name: 'dp-1', Mesh: 'default', Tags: {}, exp: now + 3600 };
    expect(await refusalOf(service.verify(signJwt({ ...base, nbf: now + 60 }, key, '1')))).toEqual({
      refusal: 'not-yet-valid',
      message: "the token is not valid before 2026-03-01T00:01:00.000Z: is this host's clock behind?",
    });
    await expect(service.verify(signJwt({ ...base, nbf: now }, key, '1'))).resolves.toMatchObject({
      name: 'dp-1',
    });
    for (const odd of [{ nbf: 'soon' }, { Type: 1 }, { Workload: ['a'] }, { Tags: { a: [] } }]) {
      expect((await refusalOf(service.verify(signJwt({ ...base, ...odd }, key, '1')))).refusal).toBe(
        'malformed',
      );
    }
  });

  it("refuses a token whose id is listed in Kuma's revocation Secret of its mesh, and only that one", async () => {
    const revoked = await service.issue({ mesh: 'default', name: 'dp-1' });
    const kept = await service.issue({ mesh: 'default', name: 'dp-1' });
    const elsewhere = await service.issue({ mesh: 'other', name: 'dp-1' });
    const { jti } = segments(revoked).claims;
    const otherMeshJti = segments(elsewhere).claims.jti;
    const list = (ids: string) => ({ data: Buffer.from(ids).toString('base64') });
    const secret = {
      type: ResourceType.Secret,
      mesh: 'default',
      name: 'dataplane-token-revocations-default',
    };
    await store.create(secret, list(`some-other-id,${jti},${otherMeshJti}\n`));
    expect(await refusalOf(service.verify(revoked))).toEqual({
      refusal: 'revoked',
      message:
        'the token is revoked: its id is listed in Secret "dataplane-token-revocations-default" of mesh "default"',
    });
    await expect(service.verify(kept)).resolves.toMatchObject({ name: 'dp-1' });
    // A mesh's list revokes only tokens of that mesh.
    await expect(service.verify(elsewhere)).resolves.toMatchObject({ mesh: 'other' });
    await store.delete(secret);
    await expect(service.verify(revoked)).resolves.toMatchObject({ name: 'dp-1' });
  });
});
