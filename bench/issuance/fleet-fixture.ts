import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { BuiltinCaManager } from '@meshtls/application';
import { ResourceType, builtinCaKeySecretName, secretBytes, type SecretSpec } from '@meshtls/domain';
import { createCsr, selfSignedCaCertificate } from '@meshtls/pki';
import { connectNats, type ConnectNatsOptions } from '@meshtls/bus';
import { EncryptedResourceStore, NatsKvResourceStore, SecretCipher } from '@meshtls/store/adapters';
import { systemClock } from '@meshtls/util';

const DAY_MS = 86_400_000;

export interface SeededMesh {
  readonly mesh: string;
  readonly label: string;
  readonly dataplanes: readonly string[];
  /** What mesh-api names in its requests: the Mesh's revision, its enabled backend, each Dataplane's revision. */
  readonly meshVersion: number;
  readonly backend: string;
  readonly dataplaneVersions: readonly number[];
  /** The signing CA's key, for the reference measurement (`crypto.sign` with the same key). */
  readonly caKeyPem: string;
}

/**
 * Writes what ca-signer reads into the NATS KV bucket, as mesh-api would: one mesh with the builtin
 * RSA-2048 CA, one with a provided EC P-256 CA, and `dataplanes` Dataplanes in each.
 */
export async function seedMeshes(
  natsUrl: string,
  secretKey: string,
  dataplanes: number,
  /** Who writes the resources (the deployment's NATS refuses anonymous clients): mesh-api's user. */
  client: Pick<ConnectNatsOptions, 'credentials' | 'inboxPrefix'> = {},
): Promise<SeededMesh[]> {
  const nc = await connectNats({ servers: [natsUrl], name: 'bench-seed', ...client });
  const kv = await NatsKvResourceStore.connect({
    nc,
    bucket: 'mesh-resources',
    replicas: 1,
    clock: systemClock,
  });
  const store = new EncryptedResourceStore(kv, new SecretCipher(secretKey));
  try {
    const rsa = { mesh: 'bench-rsa', label: 'builtin RSA-2048 CA' };
    const rsaMesh = await store.create(
      { type: ResourceType.Mesh, name: rsa.mesh },
      {
        mtls: { enabledBackend: 'ca-1', backends: [{ name: 'ca-1', type: 'builtin' }] },
      },
    );
    await new BuiltinCaManager(store, systemClock).ensure(rsa.mesh, { name: 'ca-1', type: 'builtin' });
    const rsaKey = await store.get({
      type: ResourceType.Secret,
      mesh: rsa.mesh,
      name: builtinCaKeySecretName(rsa.mesh, 'ca-1'),
    });

    const ec = { mesh: 'bench-ec', label: 'provided EC P-256 CA' };
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const certPem = selfSignedCaCertificate({
      privateKey,
      publicKey,
      subject: { commonName: ec.mesh },
      uris: [`spiffe://${ec.mesh}`],
      validityMs: 3650 * DAY_MS,
      now: new Date(),
    });
    const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    const ecMesh = await store.create(
      { type: ResourceType.Mesh, name: ec.mesh },
      {
        mtls: {
          enabledBackend: 'ec',
          backends: [
            {
              name: 'ec',
              type: 'provided',
              conf: { cert: { inlineString: certPem }, key: { inlineString: keyPem } },
            },
          ],
        },
      },
    );

    const names = Array.from({ length: dataplanes }, (_, i) => `dp-${i}`);
    const versions: Record<string, number[]> = { [rsa.mesh]: [], [ec.mesh]: [] };
    for (const mesh of [rsa.mesh, ec.mesh]) {
      for (const [i, name] of names.entries()) {
        const created = await store.create(
          { type: ResourceType.Dataplane, mesh, name },
          {
            networking: {
              address: '127.0.0.1',
              inbound: [{ port: 8080, tags: { 'kuma.io/service': `svc-${i % 10}` } }],
            },
          },
        );
        versions[mesh]!.push(created.meta.version);
      }
    }
    return [
      {
        ...rsa,
        dataplanes: names,
        meshVersion: rsaMesh.meta.version,
        backend: 'ca-1',
        dataplaneVersions: versions[rsa.mesh]!,
        caKeyPem: secretBytes(rsaKey!.spec as SecretSpec).toString('utf8'),
      },
      {
        ...ec,
        dataplanes: names,
        meshVersion: ecMesh.meta.version,
        backend: 'ec',
        dataplaneVersions: versions[ec.mesh]!,
        caKeyPem: keyPem,
      },
    ];
  } finally {
    await store.close();
    await nc.drain();
  }
}

/** Distinct CSRs with EC P-256 keys (the dataplane's default), made before the clock starts. */
export function ecCsrPool(count: number): string[] {
  return Array.from({ length: count }, () => createCsr(generateKeyPairSync('ec', { namedCurve: 'P-256' })));
}

export function newSecretKey(): string {
  return randomBytes(32).toString('base64');
}
