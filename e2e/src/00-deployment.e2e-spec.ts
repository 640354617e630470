import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { REPO_ROOT } from '@meshtls/testing';
import { CONTROL_PLANE_ROLES, natsPasswordVariable } from '@meshtls/testing';

interface Compose {
  services: Record<
    string,
    {
      command?: string[];
      environment?: Record<string, string>;
      healthcheck?: unknown;
      restart?: string;
      volumes?: string[];
    }
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

  /** A compose client: the docker plugin (v2) or the standalone docker-compose (Debian's package, v1). */
  const composeClient = (): [string, ...string[]] => {
    for (const candidate of [['docker', 'compose'], ['docker-compose']] as [string, ...string[]][]) {
      try {
        execFileSync(candidate[0], [...candidate.slice(1), 'version'], { stdio: 'ignore' });
        return candidate;
      } catch {
        // try the next one
      }
    }
    throw new Error(
      'no compose client: apt-get install docker-compose (or install the docker compose plugin)',
    );
  };
  const composeConfig = (env: Record<string, string>) => {
    const [bin, ...args] = composeClient();
    return spawnSync(bin, [...args, '-f', join(REPO_ROOT, 'docker-compose.yml'), 'config'], {
      env: { PATH: process.env.PATH ?? '', ...env },
      encoding: 'utf8',
    });
  };

  it('is accepted by `docker compose config`, and refused without the admin token and at-rest key', () => {
    const secrets = {
      MESH_ADMIN_TOKEN: 'x'.repeat(24),
      MESH_SECRET_KEY: Buffer.alloc(32).toString('base64'),
      MESH_REDIS_PASSWORD: 'redis-pw',
      ...Object.fromEntries(
        CONTROL_PLANE_ROLES.map((role) => [natsPasswordVariable(role), `nats-pw-${role}`]),
      ),
    };
    const ok = composeConfig(secrets);
    expect(ok.stderr).not.toMatch(/invalid|error/i);
    expect(ok.status).toBe(0);
    const resolved = parse(ok.stdout) as Compose;
    expect(Object.keys(resolved.services).sort()).toEqual(Object.keys(compose.services).sort());
    for (const variable of ['MESH_ADMIN_TOKEN', 'MESH_REDIS_PASSWORD', natsPasswordVariable('ca-signer')]) {
      const missing = composeConfig({ ...secrets, [variable]: '' });
      expect({ variable, status: missing.status }).not.toEqual({ variable, status: 0 });
      expect(missing.stderr).toContain(`set ${variable} in .env`);
    }
  });

  it('runs NATS with the shipped users, each role with its own, and Redis with a password', () => {
    for (const n of [1, 2, 3]) {
      const nats = compose.services[`nats-${n}`];
      expect(nats.command).toEqual(expect.arrayContaining(['-c', '/etc/nats/meshtls/nats.conf']));
      expect(nats.volumes).toContain('./deploy/nats:/etc/nats/meshtls:ro');
    }
    expect(readFileSync(join(REPO_ROOT, 'deploy', 'nats', 'nats.conf'), 'utf8')).toMatch(
      /^include auth\.conf$/m,
    );
    expect(compose.services.redis.command).toContain('--requirepass');
    for (const role of CONTROL_PLANE_ROLES) {
      for (const r of [1, 2]) {
        expect(compose.services[`${role}-${r}`].environment).toMatchObject({
          MESH_NATS_USER: role,
          MESH_NATS_PASSWORD: expect.stringContaining(natsPasswordVariable(role)),
          MESH_REDIS_PASSWORD: expect.stringContaining('MESH_REDIS_PASSWORD'),
        });
      }
    }
  });
});

describe('deploy/k8s', () => {
  type Doc = {
    kind: string;
    metadata: { name: string; namespace?: string };
    spec?: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  };
  const docs: Doc[] = [
    'namespace.yaml',
    'config.yaml',
    'secret.example.yaml',
    'nats.yaml',
    'redis.yaml',
    'control-plane.yaml',
  ].flatMap((file) =>
    parseAllDocuments(readFileSync(join(REPO_ROOT, 'deploy', 'k8s', file), 'utf8')).map((d) => {
      expect(d.errors).toEqual([]);
      return d.toJS() as Doc;
    }),
  );
  const of = (kind: string, name: string) => docs.find((d) => d.kind === kind && d.metadata.name === name);

  it('runs every role with two replicas, health probes, resource requests and a disruption budget', () => {
    for (const role of CONTROL_PLANE_ROLES) {
      const deployment = of('Deployment', role);
      expect(deployment?.spec?.replicas).toBeGreaterThanOrEqual(2);
      const [container] = deployment!.spec!.template.spec.containers;
      expect(container.command).toEqual(['node', `dist/apps/${role}/src/main.js`]);
      expect(container.readinessProbe.httpGet.path).toBe('/health/ready');
      expect(container.livenessProbe.httpGet.path).toBe('/health/live');
      expect(container.resources.requests).toMatchObject({
        cpu: expect.any(String),
        memory: expect.any(String),
      });
      expect(container.envFrom).toEqual([
        { configMapRef: { name: 'meshtls' } },
        { secretRef: { name: 'meshtls' } },
      ]);
      const budget = of('PodDisruptionBudget', role);
      expect(budget?.spec?.selector.matchLabels).toEqual(deployment!.spec!.selector.matchLabels);
      expect(of('Service', role)?.spec?.selector).toEqual(deployment!.spec!.template.metadata.labels);
    }
  });

  it('configures distributed mode against the NATS and Redis it ships, with Secrets for the keys', () => {
    const config = of('ConfigMap', 'meshtls') as unknown as { data: Record<string, string> };
    expect(config.data).toMatchObject({ MESH_MODE: 'distributed', MESH_KV_REPLICAS: '3' });
    expect(config.data.MESH_NATS_URL.split(',')).toHaveLength(3);
    expect(of('StatefulSet', 'nats')?.spec?.replicas).toBe(3);
    expect(of('Service', 'redis')).toBeDefined();
    expect(
      Object.keys((of('Secret', 'meshtls') as unknown as { stringData: object }).stringData).sort(),
    ).toEqual(['MESH_ADMIN_TOKEN', 'MESH_REDIS_PASSWORD', 'MESH_SECRET_KEY']);
    for (const doc of docs.filter((d) => d.kind !== 'Namespace'))
      expect(doc.metadata.namespace).toBe('meshtls');
  });

  it('runs NATS with the shipped users, each role with its own, Redis with a password, both fenced off', () => {
    const nats = of('StatefulSet', 'nats')!.spec!.template.spec;
    expect(nats.containers[0].args).toContain('-c=/etc/nats/meshtls/nats.conf');
    expect(nats.volumes).toContainEqual({ name: 'auth', configMap: { name: 'nats-auth' } });
    const natsEnv = nats.containers[0].env.map((e: { name: string }) => e.name);
    for (const role of CONTROL_PLANE_ROLES) {
      expect(natsEnv).toContain(natsPasswordVariable(role));
      const [container] = of('Deployment', role)!.spec!.template.spec.containers;
      expect(container.env).toEqual(
        expect.arrayContaining([
          { name: 'MESH_NATS_USER', value: role },
          { name: 'MESH_NATS_PASSWORD', valueFrom: { secretKeyRef: { name: 'meshtls-nats', key: role } } },
        ]),
      );
    }
    expect(of('Deployment', 'redis')!.spec!.template.spec.containers[0].args).toEqual(
      expect.arrayContaining(['--requirepass', '$(MESH_REDIS_PASSWORD)']),
    );
    // Only the control plane's pods (app.kubernetes.io/name: meshtls) reach the clients' ports.
    for (const [name, port] of [
      ['nats', 4222],
      ['redis', 6379],
    ] as const) {
      const policy = of('NetworkPolicy', name)!.spec!;
      expect(policy.podSelector.matchLabels).toEqual({ 'app.kubernetes.io/name': name });
      expect(policy.ingress[0]).toEqual({
        from: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'meshtls' } } }],
        ports: [{ port }],
      });
      const clientRules = policy.ingress.filter((r: { ports: { port: number }[] }) =>
        r.ports.some((p) => p.port === port),
      );
      expect(clientRules).toHaveLength(1);
    }
  });
});
