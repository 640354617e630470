import { ConfigError } from '@meshtls/util';
import { loadCoreConfig } from './core-config';

const defaults = { mode: 'standalone' as const, port: 5681, role: 'mesh-api' };
const KEY = Buffer.alloc(32, 7).toString('base64');

function messageOf(env: Record<string, string>, d = defaults): string {
  try {
    loadCoreConfig(env, d);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('loadCoreConfig', () => {
  it('runs standalone on 127.0.0.1:5681 with nothing set', () => {
    const config = loadCoreConfig({}, defaults);
    expect(config.mode).toBe('standalone');
    expect(config.http).toEqual({ address: '127.0.0.1', port: 5681 });
    expect(config.nats).toBeUndefined();
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('names every variable distributed mode needs', () => {
    const message = messageOf({ MESH_MODE: 'distributed' });
    for (const v of ['MESH_NATS_URL', 'MESH_REDIS_URL', 'MESH_SECRET_KEY', 'MESH_ADMIN_TOKEN']) {
      expect(message).toContain(`${v}: required in distributed mode`);
    }
  });

  it('parses a full distributed configuration', () => {
    const config = loadCoreConfig(
      {
        MESH_MODE: 'distributed',
        MESH_NATS_URL: 'nats://127.0.0.1:4222,nats://127.0.0.1:4223',
        MESH_REDIS_URL: 'redis://127.0.0.1:6380',
        MESH_SECRET_KEY: KEY,
        MESH_ADMIN_TOKEN: 'a-long-enough-admin-token',
        MESH_INSTANCE_ID: 'mesh-api-2',
        MESH_HTTP_PORT: '7001',
        MESH_KV_REPLICAS: '3',
      },
      defaults,
    );
    expect(config.nats).toEqual({
      servers: ['nats://127.0.0.1:4222', 'nats://127.0.0.1:4223'],
      bucket: 'mesh-resources',
      replicas: 3,
      credentials: { kind: 'none' },
      inboxPrefix: '_INBOX_mesh-api',
    });
    expect(config.instanceId).toBe('mesh-api-2');
    expect(config.http.port).toBe(7001);
  });

  it('rejects bad values naming the variable and the rule', () => {
    expect(messageOf({ MESH_HTTP_PORT: '70000' })).toContain('MESH_HTTP_PORT');
    expect(messageOf({ MESH_SECRET_KEY: 'c2hvcnQ=' })).toContain(
      'MESH_SECRET_KEY: must be 32 bytes encoded in base64',
    );
    expect(messageOf({ MESH_NATS_URL: 'http://x' })).toContain('MESH_NATS_URL: must be nats://');
    expect(messageOf({ MESH_ADMIN_TOKEN: 'short' })).toContain(
      'MESH_ADMIN_TOKEN: must be at least 16 characters',
    );
    expect(messageOf({ MESH_MODE: 'cluster' })).toContain('MESH_MODE');
  });

  it('never puts a rejected secret value in the message', () => {
    expect(messageOf({ MESH_ADMIN_TOKEN: 'tiny' })).not.toContain('tiny');
  });

  it('reads one kind of NATS credentials, and Redis credentials', () => {
    const nats = { MESH_NATS_URL: 'nats://127.0.0.1:4222', MESH_REDIS_URL: 'redis://127.0.0.1:6379' };
    const user = loadCoreConfig(
      { ...nats, MESH_NATS_USER: 'ca-signer', MESH_NATS_PASSWORD: 'pw', MESH_REDIS_PASSWORD: 'rpw' },
      { ...defaults, role: 'ca-signer' },
    );
    expect(user.nats?.credentials).toEqual({ kind: 'user', user: 'ca-signer', password: 'pw' });
    expect(user.nats?.inboxPrefix).toBe('_INBOX_ca-signer');
    expect(user.redis).toMatchObject({ password: 'rpw' });
    expect(loadCoreConfig({ ...nats, MESH_NATS_TOKEN: 't0ken' }, defaults).nats?.credentials).toEqual({
      kind: 'token',
      token: 't0ken',
    });
    expect(loadCoreConfig({ ...nats, MESH_NATS_CREDS_FILE: __filename }, defaults).nats?.credentials).toEqual(
      { kind: 'creds', credsFile: __filename },
    );
  });

  it('refuses credentials that cannot work, naming the variables and never their values', () => {
    expect(messageOf({ MESH_NATS_USER: 'mesh-api' })).toContain(
      'MESH_NATS_PASSWORD: required with MESH_NATS_USER',
    );
    const both = messageOf({ MESH_NATS_USER: 'u', MESH_NATS_PASSWORD: 'secret-pw', MESH_NATS_TOKEN: 'tok' });
    expect(both).toContain('MESH_NATS_USER, MESH_NATS_TOKEN: give one kind of NATS credentials');
    expect(both).not.toContain('secret-pw');
    expect(messageOf({ MESH_NATS_NKEY_SEED_FILE: '/nonexistent/seed' })).toContain(
      'MESH_NATS_NKEY_SEED_FILE: must name a file this process can read',
    );
    expect(messageOf({ MESH_NATS_TLS_CERT_FILE: __filename })).toContain('a client certificate needs both');
  });
});

describe('MESH_HEAP_TRIM_INTERVAL', () => {
  it('looks at the heap every 30 s by default, at the given interval, or never with off or 0', () => {
    expect(loadCoreConfig({}, defaults).heapTrimIntervalMs).toBe(30_000);
    expect(loadCoreConfig({ MESH_HEAP_TRIM_INTERVAL: '2m' }, defaults).heapTrimIntervalMs).toBe(120_000);
    expect(loadCoreConfig({ MESH_HEAP_TRIM_INTERVAL: 'off' }, defaults).heapTrimIntervalMs).toBe(0);
    expect(loadCoreConfig({ MESH_HEAP_TRIM_INTERVAL: '0' }, defaults).heapTrimIntervalMs).toBe(0);
  });

  it('names the variable and what a duration looks like when the value is not one', () => {
    expect(messageOf({ MESH_HEAP_TRIM_INTERVAL: 'often' })).toContain(
      'MESH_HEAP_TRIM_INTERVAL: must be a duration such as 30s, 5m or 1h, or off, not "often"',
    );
  });
});
