import { request as httpRequest } from 'node:http';
import { readFileSync, readdirSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { AppProcess, OpensslWorkspace, freePort, tempDir, type TempDir } from '@meshtls/testing';
import { meshctl } from '../support/cli';

interface Answer {
  readonly status: number;
  readonly text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly json: any;
}

/**
 * One HTTP request with the Host header it names (fetch does not let a caller set it, a browser after
 * DNS rebinding sends the attacker's name): to `address`, 127.0.0.1 unless said.
 */
function send(
  port: number,
  method: string,
  path: string,
  options: { host?: string; contentType?: string; body?: string; address?: string } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { host: options.host ?? `127.0.0.1:${port}` };
  if (options.contentType) headers['content-type'] = options.contentType;
  if (options.body !== undefined) headers['content-length'] = String(Buffer.byteLength(options.body));
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: options.address ?? '127.0.0.1', port, method, path, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => {
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, text, json });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** An address of this machine other than loopback, if it has one: a peer there is not on "this host". */
function externalIpv4(): string | undefined {
  for (const addresses of Object.values(networkInterfaces())) {
    for (const a of addresses ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return undefined;
}

/** The peak resident memory of a process so far (VmHWM), in bytes. */
function peakRss(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmHWM:'));
  return Number(/(\d+)/.exec(line ?? '')?.[1]) * 1024;
}

const ACCEPTED =
  'request bodies must be JSON (Content-Type: application/json) or YAML (application/yaml, application/x-yaml, ' +
  'text/yaml, text/x-yaml); forms, multipart and text/plain bodies are not accepted';

/**
 * The REST API's defences against a hostile web page and hostile input, against the standalone control
 * plane bound to every interface (0.0.0.0): a loopback caller is admin only under a loopback Host name,
 * form bodies are refused, prototype keys are refused with their path, a provided CA's inline key is
 * encrypted at rest and shown to the admin only, and `file` data sources are bounded.
 */
describe('REST hardening (standalone)', () => {
  let dir: TempDir;
  let port: number;
  let cp: AppProcess;
  let openssl: OpensslWorkspace;
  const REBOUND = () => `rebound.example:${port}`;

  beforeAll(async () => {
    dir = await tempDir('meshtls-e2e-hardening-');
    port = await freePort();
    openssl = new OpensslWorkspace();
    // The most verbose log level, so that no log line can carry a private key unseen.
    cp = await AppProcess.start('control-plane', {
      MESH_DATA_DIR: dir.path,
      MESH_HTTP_ADDRESS: '0.0.0.0',
      MESH_HTTP_PORT: String(port),
      MESH_LOG_LEVEL: 'trace',
    });
  });

  afterAll(async () => {
    await cp?.stop();
    await dir?.remove();
    openssl?.close();
  });

  it('names the address it is bound to in its start-up line', () => {
    expect(cp.logs).toMatch(
      new RegExp(`control plane \\(standalone\\) listening on http://0\\.0\\.0\\.0:${port} `),
    );
    expect(cp.logs).not.toContain(`listening on http://127.0.0.1:${port}`);
  });

  describe('a loopback connection under another Host name (DNS rebinding)', () => {
    const mesh = JSON.stringify({ type: 'Mesh', name: 'rebound' });

    it('is not the admin: no change, no token, no Secret', async () => {
      const put = await send(port, 'PUT', '/meshes/rebound', {
        host: REBOUND(),
        contentType: 'application/json',
        body: mesh,
      });
      expect(put.status).toBe(403);
      expect(put.json).toMatchObject({ status: 403, title: 'Access Denied' });
      expect((await send(port, 'GET', '/meshes/rebound')).status).toBe(404);
      expect((await send(port, 'GET', '/meshes')).json.items).toEqual([]);

      const token = await send(port, 'POST', '/tokens/dataplane', {
        host: REBOUND(),
        contentType: 'application/json',
        body: JSON.stringify({ mesh: 'default', name: 'web-1' }),
      });
      expect(token.status).toBe(403);
      expect(token.text).not.toMatch(/^ey/);
      expect((await send(port, 'GET', '/global-secrets', { host: REBOUND() })).status).toBe(403);
    });

    it('while a loopback name is the admin, with or without a port', async () => {
      const statuses = [];
      for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, 'localhost']) {
        statuses.push(
          (await send(port, 'PUT', '/meshes/rebound', { host, contentType: 'application/json', body: mesh }))
            .status,
        );
      }
      expect(statuses).toEqual([201, 200, 200]);
      expect((await send(port, 'GET', '/meshes/rebound')).status).toBe(200);
      expect((await send(port, 'DELETE', '/meshes/rebound')).status).toBe(200);
    });
  });

  describe('request bodies', () => {
    it.each([
      ['a form', 'application/x-www-form-urlencoded', 'mesh=default&name=web-1'],
      [
        'multipart',
        'multipart/form-data; boundary=b',
        '--b\r\nContent-Disposition: form-data; name="mesh"\r\n\r\ndefault\r\n--b--\r\n',
      ],
      ['text/plain', 'text/plain', '{"mesh":"default","name":"web-1"}'],
    ])(
      'refuses %s posted to /tokens/dataplane with 415 naming the accepted types',
      async (_what, type, body) => {
        // From the admin's own host: what a cross-site form post through the user's browser would be.
        const res = await send(port, 'POST', '/tokens/dataplane', { contentType: type, body });
        expect(res.status).toBe(415);
        expect(res.json).toMatchObject({ status: 415, title: 'Unsupported Media Type', detail: ACCEPTED });
        expect(res.text).not.toMatch(/ey[A-Za-z0-9_-]+\./);
      },
    );

    it('still takes what meshctl sends', async () => {
      const env = { MESHCTL_API_ADDRESS: `http://127.0.0.1:${port}` };
      const applied = await meshctl(['apply', '-f', '-'], { env, stdin: 'type: Mesh\nname: default\n' });
      expect(applied.stderr).toBe('');
      expect(applied.code).toBe(0);
      const token = await meshctl(['generate', 'dataplane-token', '--mesh', 'default', '--name', 'web-1'], {
        env,
      });
      expect(token.stderr).toBe('');
      expect(token.stdout).toMatch(/^ey/);
    });

    it('refuses a YAML tag named __proto__ with 400 naming its path, and stores nothing', async () => {
      const dataplane = [
        'type: Dataplane',
        'mesh: default',
        'name: proto-1',
        'networking:',
        '  address: 127.0.0.1',
        '  inbound:',
        '    - port: 8080',
        '      servicePort: 8081',
        '      tags:',
        '        kuma.io/service: web',
        '        __proto__: evil',
        '',
      ].join('\n');
      const res = await send(port, 'PUT', '/meshes/default/dataplanes/proto-1', {
        contentType: 'application/yaml',
        body: dataplane,
      });
      expect(res.status).toBe(400);
      expect(res.json.detail).toBe(
        'request body uses a forbidden key at networking.inbound[0].tags.__proto__',
      );
      expect(res.json.invalid_parameters).toEqual([
        {
          field: 'networking.inbound[0].tags.__proto__',
          reason:
            'key "__proto__" is not allowed (no body may use "__proto__", "constructor" or "prototype" as a key)',
        },
      ]);
      expect((await send(port, 'GET', '/meshes/default/dataplanes/proto-1')).status).toBe(404);
    });

    it('refuses constructor and prototype keys in JSON the same way', async () => {
      const res = await send(port, 'PUT', '/meshes/proto', {
        contentType: 'application/json',
        body: '{"type":"Mesh","name":"proto","mtls":{"constructor":{"prototype":{"polluted":true}}}}',
      });
      expect(res.status).toBe(400);
      expect(res.json.causes.map((c: { field: string }) => c.field)).toEqual(['mtls.constructor']);
      expect((await send(port, 'GET', '/meshes/proto')).status).toBe(404);
    });
  });

  describe('a provided CA with its key inline', () => {
    let keyPem: string;
    /** The lines of the key between its armour: what must never be seen outside the admin's reads. */
    let keyBody: string[];

    beforeAll(async () => {
      const ca = openssl.makeCa('corp', { keyType: 'rsa' });
      keyPem = ca.keyPem;
      keyBody = keyPem.split('\n').filter((l) => l.length > 0 && !l.startsWith('-----'));
      const mesh = {
        type: 'Mesh',
        name: 'corp',
        mtls: {
          enabledBackend: 'corp',
          backends: [
            {
              name: 'corp',
              type: 'provided',
              conf: { cert: { inlineString: ca.certPem }, key: { inlineString: keyPem } },
            },
          ],
        },
      };
      const put = await send(port, 'PUT', '/meshes/corp', {
        contentType: 'application/json',
        body: JSON.stringify(mesh),
      });
      expect(put.status).toBe(201);
    });

    const keyOf = (mesh: { mtls: { backends: { conf: { key: unknown } }[] } }) =>
      mesh.mtls.backends[0]!.conf.key;
    const leaks = (text: string) => keyBody.filter((line) => text.includes(line));

    it('is not in an anonymous read of the Mesh or of the list', async () => {
      const one = await send(port, 'GET', '/meshes/corp', { host: REBOUND() });
      expect(one.status).toBe(200);
      expect(keyOf(one.json)).toEqual({ inlineString: '[redacted]' });
      const list = await send(port, 'GET', '/meshes', { host: REBOUND() });
      expect(list.json.items.map((m: { name: string }) => m.name)).toContain('corp');
      expect(leaks(one.text)).toEqual([]);
      expect(leaks(list.text)).toEqual([]);
    });

    it('is not in a read from another machine, nor in what meshctl prints there', async () => {
      const external = externalIpv4();
      if (external === undefined) return; // no interface but loopback here: the Host case above stands for it
      const one = await send(port, 'GET', '/meshes/corp', { address: external, host: `${external}:${port}` });
      expect(keyOf(one.json)).toEqual({ inlineString: '[redacted]' });
      const printed = await meshctl(['get', 'mesh', 'corp', '-o', 'yaml'], {
        env: { MESHCTL_API_ADDRESS: `http://${external}:${port}` },
      });
      expect(printed.code).toBe(0);
      expect(printed.stdout).toContain('[redacted]');
      expect(leaks(printed.stdout)).toEqual([]);
    });

    it("is the admin's to read", async () => {
      const admin = await send(port, 'GET', '/meshes/corp');
      expect(keyOf(admin.json)).toEqual({ inlineString: keyPem });
    });

    it('is stored encrypted, still signs, and is in no log line', async () => {
      // The CA loads from the stored (encrypted) key: its certificate is in the mesh's trust bundle.
      const insight = await send(port, 'GET', '/mesh-insights/corp');
      expect(insight.json.caCertificates.map((c: { backend: string }) => c.backend)).toEqual(['corp']);
      const files = readdirSync(dir.path).filter((f) => f.startsWith('resources.db'));
      const raw = Buffer.concat(files.map((f) => readFileSync(join(dir.path, f)))).toString('latin1');
      expect(raw).toContain('corp'); // the Mesh's row is in these bytes
      expect(leaks(raw)).toEqual([]);
      expect(leaks(cp.logs)).toEqual([]);
    });

    it('is refused, saying why, when a redacted read is applied back', async () => {
      const redacted = (await send(port, 'GET', '/meshes/corp', { host: REBOUND() })).json;
      const res = await send(port, 'PUT', '/meshes/corp', {
        contentType: 'application/json',
        body: JSON.stringify(redacted),
      });
      expect(res.status).toBe(400);
      expect(res.json.causes).toEqual([
        {
          field: 'mtls.backends[0].conf.key.inlineString',
          message:
            'is "[redacted]", what is shown instead of a private key to readers without the admin token: give the key itself',
        },
      ]);
      expect(keyOf((await send(port, 'GET', '/meshes/corp')).json)).toEqual({ inlineString: keyPem });
    });
  });

  describe('file data sources', () => {
    const meshWith = (name: string, file: string) =>
      JSON.stringify({
        type: 'Mesh',
        name,
        mtls: {
          enabledBackend: 'files',
          backends: [{ name: 'files', type: 'provided', conf: { cert: { file }, key: { file } } }],
        },
      });

    it('refuse /dev/zero at once, without the process growing', async () => {
      const before = peakRss(cp.pid);
      const res = await send(port, 'PUT', '/meshes/zero', {
        contentType: 'application/json',
        body: meshWith('zero', '/dev/zero'),
      });
      // Answered, not timed out (503) while the file was being read.
      expect(res.status).toBe(400);
      expect(res.json.causes).toEqual([
        {
          field: 'mtls.backends[0].conf.cert',
          message: 'could not load data: cannot read file "/dev/zero": not a regular file',
        },
        {
          field: 'mtls.backends[0].conf.key',
          message: 'could not load data: cannot read file "/dev/zero": not a regular file',
        },
      ]);
      // Reading /dev/zero without a bound took hundreds of MiB; a refusal takes next to nothing.
      expect(peakRss(cp.pid) - before).toBeLessThan(64 * 1024 * 1024);
      expect((await send(port, 'GET', '/meshes/zero')).status).toBe(404);
    });

    it('tell the admin that a file is missing', async () => {
      const res = await send(port, 'PUT', '/meshes/missing', {
        contentType: 'application/json',
        body: meshWith('missing', join(dir.path, 'no-such.pem')),
      });
      expect(res.status).toBe(400);
      expect(res.json.causes[0].message).toMatch(/: no such file \(ENOENT\)$/);
    });
  });
});
