import { ConfigError } from '@meshtls/util';
import { loadRotationSchedulerConfig } from './rotation-scheduler.config';

describe('loadRotationSchedulerConfig', () => {
  it('has defaults', () => {
    expect(loadRotationSchedulerConfig({})).toEqual({
      intervalMs: 1000,
      batchSize: 500,
      claimTtlMs: 15_000,
      concurrency: 64,
    });
  });

  it('reads every variable', () => {
    const config = loadRotationSchedulerConfig({
      MESH_ROTATION_INTERVAL_MS: '50',
      MESH_ROTATION_BATCH: '1000',
      MESH_ROTATION_CLAIM_TTL_MS: '30000',
      MESH_ROTATION_CONCURRENCY: '8',
    });
    expect(config).toEqual({ intervalMs: 50, batchSize: 1000, claimTtlMs: 30_000, concurrency: 8 });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it.each([
    ['MESH_ROTATION_INTERVAL_MS', '49'],
    ['MESH_ROTATION_INTERVAL_MS', 'soon'],
    ['MESH_ROTATION_BATCH', '0'],
    ['MESH_ROTATION_BATCH', '2.5'],
    ['MESH_ROTATION_CLAIM_TTL_MS', '-1'],
    ['MESH_ROTATION_CONCURRENCY', ''],
  ])('stops on %s=%j with the variable named', (name, value) => {
    const load = () => loadRotationSchedulerConfig({ [name]: value });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(new RegExp(`^invalid configuration:\\n  ${name}: `));
  });
});
