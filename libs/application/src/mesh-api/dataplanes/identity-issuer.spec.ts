import { issueCertificate, type RequestOf } from '@meshtls/contracts';
import { InProcessBus } from '@meshtls/bus';
import { StaleIssueRequestError } from '../../ports/issue-certificate.contract';
import { BusIdentityIssuer, IssueDeadlineError } from './identity-issuer';

const certificate = (serial: string) => ({
  certPem: 'cert',
  chainPem: '',
  serial,
  notBefore: '2026-01-01T00:00:00.000Z',
  notAfter: '2026-01-31T00:00:00.000Z',
  backend: 'ca-1',
  uris: ['spiffe://m/web'],
});

describe('BusIdentityIssuer', () => {
  let bus: InProcessBus;
  const seen: RequestOf<typeof issueCertificate>[] = [];
  beforeEach(() => {
    bus = new InProcessBus();
    seen.length = 0;
  });
  afterEach(() => bus.close());
  const command = {
    mesh: 'm',
    dataplane: 'web-1',
    reason: 'new' as const,
    csrPem: 'csr',
    meshVersion: 4,
    dataplaneVersion: 9,
    backend: 'ca-1',
  };
  const noSleep = async () => undefined;

  it('asks again, under the same request id, when an attempt gets no answer (its ca-signer died)', async () => {
    bus.serve(
      issueCertificate,
      async (request) => {
        seen.push(request);
        // The first attempt is taken by a ca-signer that never answers.
        if (seen.length === 1) await new Promise(() => undefined);
        return { status: 'issued' as const, certificate: certificate('02'), trustBundle: [] };
      },
      { queue: 'ca-signer' },
    );
    const issuer = new BusIdentityIssuer(bus, { attemptTimeoutMs: 50, sleep: noSleep });
    const result = await issuer.sign(command);
    expect(result.certificate.serial).toBe('02');
    expect(seen).toHaveLength(2);
    expect(seen[1]!.requestId).toBe(seen[0]!.requestId);
  });

  it('waits as long as a shed answer says, then asks again', async () => {
    const waits: number[] = [];
    bus.serve(
      issueCertificate,
      async (request) => {
        seen.push(request);
        return seen.length === 1
          ? { status: 'shed' as const, retryAfterMs: 400, reason: 'queue full' }
          : { status: 'issued' as const, certificate: certificate('03'), trustBundle: [] };
      },
      { queue: 'ca-signer' },
    );
    const issuer = new BusIdentityIssuer(bus, { sleep: async (ms) => void waits.push(ms) });
    expect((await issuer.sign(command)).certificate.serial).toBe('03');
    expect(waits).toHaveLength(1);
    expect(waits[0]).toBeGreaterThanOrEqual(400);
    expect(waits[0]).toBeLessThanOrEqual(500);
  });

  it('gives up at its deadline with the reason when no ca-signer answers at all', async () => {
    let now = 0;
    const issuer = new BusIdentityIssuer(bus, {
      deadlineMs: 1_000,
      now: () => now,
      sleep: async (ms) => void (now += ms),
    });
    await expect(issuer.sign(command)).rejects.toThrow(IssueDeadlineError);
    await expect(issuer.sign(command)).rejects.toThrow(/m\/web-1 within 1000 ms: no responder/);
  });

  it('sends the revisions and backend it is given, and turns a stale answer into an error', async () => {
    bus.serve(
      issueCertificate,
      async (request) => {
        seen.push(request);
        return { status: 'stale' as const, reason: 'the Mesh is at revision 5 here' };
      },
      { queue: 'ca-signer' },
    );
    const issuer = new BusIdentityIssuer(bus, { sleep: noSleep });
    await expect(issuer.sign(command)).rejects.toThrow(StaleIssueRequestError);
    expect(seen).toEqual([expect.objectContaining({ meshVersion: 4, dataplaneVersion: 9, backend: 'ca-1' })]);
  });
});
