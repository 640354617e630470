import { X509Certificate, generateKeyPairSync, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Metadata, credentials, status as GrpcStatus } from '@grpc/grpc-js';
import {
  dataplaneStreamMethod as m,
  type DataplaneClientMessage,
  type DataplaneServerMessage,
} from '@meshtls/contracts';
import { createCsr } from '@meshtls/pki';
import {
  OpensslWorkspace,
  eventually,
  startStandaloneControlPlane,
  tempDir,
  type StandaloneControlPlane,
  type TempDir,
} from '@meshtls/testing';
import { http } from '../support/cli';

type Outcome = { messages: DataplaneServerMessage[]; code?: number; details?: string };

/**
 * Hostile dataplane streams against a standalone control plane, spoken with a raw gRPC client: each is
 * refused with a status and a reason, nothing is issued that should not be, and the server stays up.
 */
describe('hostile input (dataplane stream)', () => {
  let dir: TempDir;
  let cp: StandaloneControlPlane;
  let base: string;
  let client: Client;
  let openssl: OpensslWorkspace;
  const spec = {
    networking: { address: '127.0.0.1', inbound: [{ port: 18080, tags: { 'kuma.io/service': 'web' } }] },
  };

  /**
   * Opens a stream, writes `frames` (already serialized) and collects what comes back until the stream
   * ends, or until the messages so far satisfy `until` or `stop` settles (the stream is then cancelled and
   * counts as open). The 30 s limit only ends a test whose server never gets there.
   */
  const stream = (
    frames: Buffer[],
    options: {
      until?: (messages: DataplaneServerMessage[]) => boolean;
      stop?: Promise<unknown>;
    } = {},
  ): Promise<Outcome> =>
    new Promise((resolve) => {
      const call = client.makeBidiStreamRequest<Buffer, DataplaneServerMessage>(
        m.path,
        (b: Buffer) => b,
        m.responseDeserialize,
        new Metadata(),
      );
      const outcome: Outcome = { messages: [] };
      const leaveOpen = () => (clearTimeout(timer), resolve(outcome), call.cancel());
      const timer = setTimeout(leaveOpen, 30_000);
      void options.stop?.then(leaveOpen);
      call.on('data', (message: DataplaneServerMessage) => {
        outcome.messages.push(message);
        if (options.until?.(outcome.messages)) leaveOpen();
      });
      call.on('error', (e: Error & { code?: number; details?: string }) => {
        clearTimeout(timer);
        resolve({ ...outcome, code: e.code, details: e.details });
      });
      call.on('end', () => (clearTimeout(timer), resolve(outcome)));
      for (const frame of frames) call.write(frame);
    });
  const frame = (message: DataplaneClientMessage) => m.requestSerialize(message);
  const hello = async (name: string, csrPem: string) =>
    frame({
      type: 'hello',
      mesh: 'm',
      name,
      token: await cp.dataplaneToken('m', name),
      session: randomUUID(),
      csrPem,
      requestId: 'r-1',
      dataplane: spec,
    });
  const csrOf = () => {
    const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    return createCsr({ privateKey: pair.privateKey, publicKey: pair.publicKey });
  };
  const healthy = async () => (await http('GET', `${base}/health/ready`)).status === 200;

  beforeAll(async () => {
    dir = await tempDir('meshtls-e2e-hostile-stream-');
    openssl = new OpensslWorkspace();
    cp = await startStandaloneControlPlane(join(dir.path, 'data'));
    base = cp.url;
    const mesh = {
      type: 'Mesh',
      name: 'm',
      mtls: { enabledBackend: 'ca-1', backends: [{ name: 'ca-1', type: 'builtin' }] },
    };
    expect(
      (await http('PUT', `${base}/meshes/m`, { body: JSON.stringify(mesh), contentType: 'application/json' }))
        .status,
    ).toBe(201);
    const ca = readFileSync(cp.dpCaFile);
    client = new Client(cp.dpAddress, credentials.createSsl(ca), { 'grpc.max_send_message_length': 1 << 20 });
  });

  afterAll(async () => {
    client?.close();
    await cp?.stop();
    await dir?.remove();
    openssl?.close();
  });

  it('refuses garbage frames and a first message that is not a hello', async () => {
    const garbage = await stream([Buffer.from('\u0000not json at all')]);
    expect(garbage.code).toBeDefined();
    expect(garbage.code).not.toBe(GrpcStatus.OK);
    expect(garbage.messages).toEqual([]);
    const notHello = await stream([frame({ type: 'ack', serial: '01' })]);
    expect(notHello).toMatchObject({
      code: GrpcStatus.INVALID_ARGUMENT,
      details: 'the first message must be a hello',
    });
    expect(await healthy()).toBe(true);
  });

  it('refuses an oversized message', async () => {
    const huge = await stream([Buffer.from(JSON.stringify({ type: 'hello', pad: 'x'.repeat(400 * 1024) }))]);
    expect(huge.code).toBe(GrpcStatus.RESOURCE_EXHAUSTED);
    expect(await healthy()).toBe(true);
  });

  it('refuses a CSR signed by another key than the one it names', async () => {
    const named = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const signer = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const forged = createCsr({ privateKey: signer.privateKey, publicKey: named.publicKey });
    const outcome = await stream([await hello('web-forged', forged)]);
    expect(outcome.messages.filter((x) => x.type === 'identity')).toEqual([]);
    expect(outcome.code).toBe(GrpcStatus.INVALID_ARGUMENT);
    expect(outcome.details).toMatch(/^CSR refused: .*signature/);
  });

  it('issues only the identity of the Dataplane, whatever names the CSR asks for', async () => {
    openssl.run('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'greedy.key');
    openssl.run(
      'req',
      '-new',
      '-key',
      'greedy.key',
      '-subj',
      '/CN=payments',
      '-out',
      'greedy.csr',
      '-addext',
      'subjectAltName=URI:spiffe://m/payments,URI:spiffe://other/admin,DNS:bank.example',
    );
    const outcome = await stream([await hello('web-greedy', openssl.read('greedy.csr'))], {
      until: (messages) => messages.some((x) => x.type === 'identity'),
    });
    const identity = outcome.messages.find((x) => x.type === 'identity');
    expect(identity).toBeDefined();
    expect(new X509Certificate(identity!.type === 'identity' ? identity!.certPem : '').subjectAltName).toBe(
      'URI:spiffe://m/web, URI:kuma://kuma.io/service/web',
    );
  });

  it('keeps one stream per dataplane under a flood of hellos with one token, issuing at most its burst', async () => {
    const name = 'web-flood';
    const frames = await Promise.all(Array.from({ length: 20 }, () => hello(name, csrOf())));
    // Every stream but one is ended by the server; the one left open is then cancelled by the test.
    let ended = 0;
    let stopWaiting!: () => void;
    const stop = new Promise<void>((r) => (stopWaiting = r));
    const streams = frames.map((f) =>
      stream([f], { stop }).then((o) => {
        if (o.code !== undefined) ended++;
        return o;
      }),
    );
    await eventually(() => expect(ended).toBeGreaterThanOrEqual(frames.length - 1), 30_000).catch(
      () => undefined, // the checks below say what was left open
    );
    stopWaiting();
    const outcomes = await Promise.all(streams);
    const replaced = outcomes.filter(
      (o) => o.code === GrpcStatus.ABORTED && /replaced/.test(o.details ?? ''),
    );
    // Beyond the dataplane's issuance burst (6 by default) hellos are refused before they take anything over.
    const limited = outcomes.filter(
      (o) =>
        o.code === GrpcStatus.RESOURCE_EXHAUSTED && /as many certificates as it may be/.test(o.details ?? ''),
    );
    const open = outcomes.filter((o) => o.code === undefined);
    expect(open.length).toBeLessThanOrEqual(1);
    expect(replaced.length + open.length).toBeLessThanOrEqual(6);
    expect(replaced.length + open.length + limited.length).toBe(20);
    expect(await healthy()).toBe(true);
  });
});
