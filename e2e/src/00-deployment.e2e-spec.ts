import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { REPO_ROOT } from '@meshtls/testing';
import { CONTROL_PLANE_ROLES } from '@meshtls/testing';

interface Compose {
  services: Record<
    string,
    { command?: string[]; environment?: Record<string, string>; healthcheck?: unknown; restart?: string }
  >;
}

describe('docker-compose.yml', () => {
  const text = readFileSync(join(REPO_ROOT, 'docker-compose.yml'), 'utf8');
  const compose = parse(text, { merge: true }) as Compose;

  it('describes a 3-node NATS cluster with JetStream and Redis', () => {
    for (const n of [1, 2, 3]) {
      const nats = compose.services[`nats-${n}`];
      expect(nats.command).toEqual(expect.arrayContaining(['-js', '--cluster_name', 'meshtls']));
      expect(nats.healthcheck).toBeDefined();
    }
    expect(compose.services.redis).toBeDefined();
  });

  it('runs two replicas of every role, distributed, with health checks and restart policies', () => {
    for (const role of CONTROL_PLANE_ROLES) {
      for (const r of [1, 2]) {
        const service = compose.services[`${role}-${r}`];
        expect(service.command).toEqual(['node', `dist/apps/${role}/src/main.js`]);
        expect(service.environment).toMatchObject({
          MESH_MODE: 'distributed',
          MESH_INSTANCE_ID: `${role}-${r}`,
          MESH_KV_REPLICAS: '3',
        });
        expect(service.healthcheck).toBeDefined();
        expect(service.restart).toBe('unless-stopped');
      }
    }
  });

  it('is accepted by `docker compose config` where a compose client exists', () => {
    let hasCompose = true;
    try {
      execFileSync('docker', ['compose', 'version'], { stdio: 'ignore' });
    } catch {
      hasCompose = false;
    }
    if (!hasCompose) return; // No compose client on this machine; the structure is checked above.
    execFileSync('docker', ['compose', '-f', join(REPO_ROOT, 'docker-compose.yml'), 'config', '--quiet'], {
      env: {
        ...process.env,
        MESH_ADMIN_TOKEN: 'x'.repeat(24),
        MESH_SECRET_KEY: Buffer.alloc(32).toString('base64'),
      },
    });
  });
});
