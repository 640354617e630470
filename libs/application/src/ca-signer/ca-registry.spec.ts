import { ResourceType, type MtlsBackend } from '@meshtls/domain';
import { createBuiltinCa } from '@meshtls/pki';
import { MemoryResourceStore } from '@meshtls/store/adapters';
import { FakeClock } from '@meshtls/util';
import { CaRegistry } from './ca-registry';
import { DataSourceReader } from '../shared/data-source.reader';
import { ProvidedCaManager } from './provided-ca.manager';
import { BuiltinCaManager } from './builtin-ca.manager';

const clock = new FakeClock('2026-06-01T00:00:00Z');
const b64 = (text: string) => Buffer.from(text).toString('base64');

describe('CaRegistry', () => {
  it('parses a CA once, and again after its Secret changed (seen through the store watch)', async () => {
    const store = new MemoryResourceStore(clock);
    const input = { mesh: 'm', backend: 'p', rsaBits: 2048, validityMs: 86_400_000 * 365, now: clock.now() };
    const [first, second] = await Promise.all([createBuiltinCa(input), createBuiltinCa(input)]);
    await store.create({ type: ResourceType.Mesh, name: 'm' }, {});
    const certKey = { type: ResourceType.Secret, mesh: 'm', name: 'cert' };
    const record = await store.create(certKey, { data: b64(first.certPem) });
    await store.create({ type: ResourceType.Secret, mesh: 'm', name: 'key' }, { data: b64(first.keyPem) });
    const provided = new ProvidedCaManager(new DataSourceReader(store), clock);
    const loads = jest.spyOn(provided, 'load');
    const registry = new CaRegistry({ builtin: new BuiltinCaManager(store, clock), provided });
    const stop = registry.followChanges(store);
    const backend: MtlsBackend = {
      name: 'p',
      type: 'provided',
      conf: { cert: { secret: 'cert' }, key: { secret: 'key' } },
    };

    const a = await registry.signingCa('m', backend);
    expect(await registry.signingCa('m', backend)).toBe(a);
    expect(loads).toHaveBeenCalledTimes(1);

    await store.update(certKey, { data: b64(second.certPem) }, record.meta.version);
    await store.update(
      { type: ResourceType.Secret, mesh: 'm', name: 'key' },
      { data: b64(second.keyPem) },
      (await store.get({ type: ResourceType.Secret, mesh: 'm', name: 'key' }))!.meta.version,
    );
    const b = await registry.signingCa('m', backend);
    expect(b).not.toBe(a);
    expect(b.trustAnchorPem.trim()).toBe(second.certPem.trim());
    stop();
  });
});
