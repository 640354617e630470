import {
  AppProcess,
  CA_EXTENSIONS,
  OpensslWorkspace,
  freePort,
  tempDir,
  type TempDir,
  type TestCa,
} from '@meshtls/testing';
import { http, meshctl } from '../support/cli';

const b64 = (text: string) => Buffer.from(text).toString('base64');

describe('certificate authorities (standalone)', () => {
  let dir: TempDir;
  let cp: AppProcess;
  let base: string;
  let openssl: OpensslWorkspace;
  let root: TestCa;
  let intermediate: TestCa;
  const cli = (args: string[], stdin?: string) =>
    meshctl(args, { env: { MESHCTL_API_ADDRESS: base }, stdin });
  const put = (path: string, doc: object) =>
    http('PUT', `${base}${path}`, { body: JSON.stringify(doc), contentType: 'application/json' });

  beforeAll(async () => {
    dir = await tempDir('meshtls-e2e-ca-');
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    cp = await AppProcess.start('control-plane', { MESH_DATA_DIR: dir.path, MESH_HTTP_PORT: String(port) });
    openssl = new OpensslWorkspace();
    root = openssl.makeCa('root', { keyType: 'rsa' });
    intermediate = openssl.makeCa('intermediate', { keyType: 'ec', issuer: root });
  });

  afterAll(async () => {
    await cp?.stop();
    await dir?.remove();
    openssl?.close();
  });

  it('creates a builtin CA as two Secrets readable with meshctl', async () => {
    const applied = await cli(
      ['apply', '-f', '-'],
      'type: Mesh\nname: builtin\nmtls:\n  enabledBackend: ca-1\n  backends:\n    - name: ca-1\n      type: builtin\n',
    );
    expect(applied.stderr).toBe('');
    const secrets = await cli(['get', 'secrets', '--mesh', 'builtin', '-o', 'json']);
    expect(JSON.parse(secrets.stdout).items.map((s: { name: string }) => s.name)).toEqual([
      'builtin.ca-builtin-cert-ca-1',
      'builtin.ca-builtin-key-ca-1',
    ]);
    const cert = JSON.parse(
      (await cli(['get', 'secret', 'builtin.ca-builtin-cert-ca-1', '--mesh', 'builtin', '-o', 'json']))
        .stdout,
    );
    const text = openssl.text(Buffer.from(cert.data, 'base64').toString('utf8'));
    expect(text).toMatch(/CA:TRUE/);
    expect(text).toMatch(/Certificate Sign, CRL Sign/);
    expect(text).toContain('URI:spiffe://builtin');
    expect(text).toMatch(/Public-Key: \(2048 bit\)/);
  });

  it('keeps the CA when the Mesh is applied again', async () => {
    const before = (await http('GET', `${base}/meshes/builtin/secrets/builtin.ca-builtin-cert-ca-1`)).json;
    await cli(
      ['apply', '-f', '-'],
      'type: Mesh\nname: builtin\nmtls:\n  enabledBackend: ca-1\n  backends:\n    - name: ca-1\n      type: builtin\n      mode: PERMISSIVE\n',
    );
    const after = (await http('GET', `${base}/meshes/builtin/secrets/builtin.ca-builtin-cert-ca-1`)).json;
    expect(after.data).toBe(before.data);
    expect(after.modificationTime).toBe(before.modificationTime);
  });

  it("refuses to delete a Secret a backend uses, with Kuma's message", async () => {
    const result = await cli(['delete', 'secret', 'builtin.ca-builtin-key-ca-1', '--mesh', 'builtin']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'The secret "builtin.ca-builtin-key-ca-1" that you are trying to remove is currently in use in Mesh "builtin" in mTLS backend "ca-1". Please remove the reference from the "ca-1" backend before removing the secret.',
    );
  });

  it('accepts a provided intermediate CA from Secrets', async () => {
    expect((await put('/meshes/provided', { type: 'Mesh', name: 'provided' })).status).toBe(201);
    const chain = intermediate.certPem + root.certPem;
    for (const [name, data] of [
      ['ca-chain', chain],
      ['ca-key', intermediate.keyPem],
    ]) {
      expect(
        (
          await put(`/meshes/provided/secrets/${name}`, {
            type: 'Secret',
            mesh: 'provided',
            name,
            data: b64(data),
          })
        ).status,
      ).toBe(201);
    }
    const mesh = {
      type: 'Mesh',
      name: 'provided',
      mtls: {
        enabledBackend: 'corp',
        backends: [
          {
            name: 'corp',
            type: 'provided',
            conf: { cert: { secret: 'ca-chain' }, key: { secret: 'ca-key' } },
          },
        ],
      },
    };
    const response = await put('/meshes/provided', mesh);
    expect(response.json).toEqual({});
    expect(response.status).toBe(200);
  });

  it.each([
    [
      'a certificate that is not a CA',
      () =>
        openssl.makeCa('not-ca', {
          keyType: 'rsa',
          extensions: ['basicConstraints = critical, CA:FALSE', 'keyUsage = critical, keyCertSign'],
        }),
      'mtls.backends[0].conf.cert[0]',
      "basic constraint 'CA' must be set to 'true' (see X509-SVID: 4.1. Basic Constraints)",
    ],
    [
      'a CA without keyCertSign',
      () =>
        openssl.makeCa('no-sign', {
          keyType: 'ec',
          extensions: ['basicConstraints = critical, CA:TRUE', 'keyUsage = critical, cRLSign'],
        }),
      'mtls.backends[0].conf.cert[0]',
      "key usage extension 'keyCertSign' must be set (see X509-SVID: 4.3. Key Usage)",
    ],
    [
      'a CA with keyAgreement',
      () =>
        openssl.makeCa('agree', {
          keyType: 'ec',
          extensions: [...CA_EXTENSIONS.slice(0, 1), 'keyUsage = critical, keyCertSign, keyAgreement'],
        }),
      'mtls.backends[0].conf.cert[0]',
      "key usage extension 'keyAgreement' must NOT be set (see X509-SVID: Appendix A. X.509 Field Reference)",
    ],
  ])('refuses %s with the field and the X509-SVID rule', async (_name, make, field, reason) => {
    const ca = make();
    const response = await put('/meshes/bad', {
      type: 'Mesh',
      name: 'bad',
      mtls: {
        enabledBackend: 'p',
        backends: [
          {
            name: 'p',
            type: 'provided',
            conf: { cert: { inlineString: ca.certPem }, key: { inlineString: ca.keyPem } },
          },
        ],
      },
    });
    expect(response.status).toBe(400);
    expect(response.json.invalid_parameters).toContainEqual({ field, reason });
    expect((await http('GET', `${base}/meshes/bad`)).status).toBe(404);
  });

  it('accepts a CA with leaf key usages but warns about them in the PUT answer', async () => {
    const ca = openssl.makeCa('loose', {
      keyType: 'rsa',
      extensions: [
        'basicConstraints = critical, CA:TRUE',
        'keyUsage = critical, keyCertSign, cRLSign, digitalSignature',
      ],
    });
    const response = await put('/meshes/loose', {
      type: 'Mesh',
      name: 'loose',
      mtls: {
        enabledBackend: 'p',
        backends: [
          {
            name: 'p',
            type: 'provided',
            conf: { cert: { inlineString: ca.certPem }, key: { inlineString: ca.keyPem } },
          },
        ],
      },
    });
    expect(response.status).toBe(201);
    expect(response.json.warnings).toEqual([
      "mtls.backends[0].conf.cert[0]: key usage 'digitalSignature' is set on a CA certificate; X509-SVID signing certificates need only keyCertSign (and cRLSign) (see X509-SVID: 4.3. Key Usage)",
    ]);
    const cli = await meshctl(['apply', '-f', '-'], {
      env: { MESHCTL_API_ADDRESS: base },
      stdin: JSON.stringify({
        type: 'Mesh',
        name: 'loose',
        mtls: {
          enabledBackend: 'p',
          backends: [
            {
              name: 'p',
              type: 'provided',
              conf: { cert: { inlineString: ca.certPem }, key: { inlineString: ca.keyPem } },
            },
          ],
        },
      }),
    });
    expect(cli.code).toBe(0);
    expect(cli.stderr).toContain("key usage 'digitalSignature' is set on a CA certificate");
  });

  it('refuses a key that does not match, and garbage that is no certificate', async () => {
    const response = await put('/meshes/bad', {
      type: 'Mesh',
      name: 'bad',
      mtls: {
        enabledBackend: 'p',
        backends: [
          {
            name: 'p',
            type: 'provided',
            conf: { cert: { inlineString: root.certPem }, key: { inlineString: intermediate.keyPem } },
          },
          {
            name: 'q',
            type: 'provided',
            conf: { cert: { inline: b64('not a certificate') }, key: { inlineString: root.keyPem } },
          },
        ],
      },
    });
    expect(response.status).toBe(400);
    expect(response.json.invalid_parameters).toContainEqual({
      field: 'mtls.backends[0].conf.cert',
      reason: 'not a valid TLS key pair: tls: private key does not match public key',
    });
    expect(response.json.invalid_parameters.map((p: { field: string }) => p.field)).toContain(
      'mtls.backends[1].conf.cert',
    );
  });

  it('refuses a provided backend whose Secret does not exist', async () => {
    const response = await put('/meshes/provided', {
      type: 'Mesh',
      name: 'provided',
      mtls: {
        backends: [
          { name: 'x', type: 'provided', conf: { cert: { secret: 'nope' }, key: { secret: 'ca-key' } } },
        ],
      },
    });
    expect(response.status).toBe(400);
    expect(response.json.invalid_parameters).toEqual([
      {
        field: 'mtls.backends[0].conf.cert',
        reason: 'could not load data: secret "nope" not found in mesh "provided"',
      },
    ]);
  });

  it('deletes the CA Secrets with their mesh', async () => {
    expect((await cli(['delete', 'mesh', 'builtin'])).code).toBe(0);
    expect((await http('GET', `${base}/meshes/builtin/secrets/builtin.ca-builtin-cert-ca-1`)).status).toBe(
      404,
    );
    expect(
      (await http('GET', `${base}/secrets`)).json.items.map((s: { mesh: string }) => s.mesh),
    ).not.toContain('builtin');
  });
});
