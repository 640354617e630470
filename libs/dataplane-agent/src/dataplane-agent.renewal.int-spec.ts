import { X509Certificate, createPrivateKey } from 'node:crypto';
import type { DataplaneClientMessage } from '@meshtls/contracts';
import { verifyCsr } from '@meshtls/pki';
import { eventually } from '@meshtls/testing';
import { DataplaneAgent } from './dataplane-agent';
import {
  identityFor,
  plaintextAgentOptions,
  startFakeControlPlane,
  type ControlPlaneCall,
  type FakeControlPlane,
} from './fake-control-plane.test-support';

type Call = ControlPlaneCall;
type Csr = Extract<DataplaneClientMessage, { type: 'csr' }>;

/** An identity for the CSR's key, valid an hour, whose rotation time the control plane states as `rotateAt`. */
const identityForCsr = (csrPem: string, requestId: string | undefined, rotateAt: Date) =>
  identityFor(verifyCsr(csrPem), { ...(requestId ? { requestId } : {}), rotateAt: rotateAt.toISOString() });

/**
 * The sidecar's own renewal against a control plane that does not rotate: once the stated rotation time
 * has passed by the grace, it sends an unasked CSR, asks again with the same CSR while nothing comes, and
 * takes the certificate answering it.
 */
describe('DataplaneAgent renewing on its own', () => {
  let server: FakeControlPlane;
  const agents: DataplaneAgent[] = [];
  let call: Call | undefined;
  let hello: Extract<DataplaneClientMessage, { type: 'hello' }> | undefined;
  const renewals: { message: Csr; at: number }[] = [];
  const acks: { serial: string; error?: string }[] = [];

  beforeAll(async () => {
    server = await startFakeControlPlane((c, message) => {
      if (message.type === 'hello') [call, hello] = [c, message];
      if (message.type === 'csr' && message.reason === 'renewal') renewals.push({ message, at: Date.now() });
      if (message.type === 'ack') acks.push({ serial: message.serial, error: message.error });
    });
  });

  afterAll(async () => {
    for (const agent of agents) agent.stop();
    await server.stop();
  });

  const agentWith = (options: { renew?: boolean; renewalGraceMs?: number }) => {
    const agent = new DataplaneAgent({ ...plaintextAgentOptions(server.port), ...options });
    agents.push(agent);
    return agent;
  };

  it('asks once rotateAt + grace has passed, again with the same CSR, and takes the answer', async () => {
    const agent = agentWith({ renewalGraceMs: 500 });
    agent.start();
    await eventually(() => expect(hello).toBeDefined(), 10_000);
    const rotateAt = new Date(Date.now() + 1_000);
    call!.write(identityForCsr(hello!.csrPem!, hello!.requestId, rotateAt));
    await eventually(() => expect(agent.identity).toBeDefined(), 10_000);
    const first = agent.identity!;
    expect(agent.renewAt?.getTime()).toBe(rotateAt.getTime() + 500);
    expect(renewals).toEqual([]);

    // This control plane does not answer the first ask: the agent asks again.
    await eventually(() => expect(renewals.length).toBeGreaterThanOrEqual(2), 15_000);
    const [ask, again] = renewals;
    expect(ask!.at).toBeGreaterThanOrEqual(rotateAt.getTime() + 500);
    expect(again!.message).toEqual(ask!.message);
    expect(agent.identity).toBe(first);

    call!.write(identityForCsr(ask!.message.csrPem, ask!.message.requestId, new Date(Date.now() + 600_000)));
    await eventually(() => expect(agent.identity?.serial).not.toBe(first.serial), 10_000);
    const renewed = agent.identity!;
    await eventually(() => expect(acks.at(-1)).toEqual({ serial: renewed.serial, error: undefined }));
    expect(new X509Certificate(renewed.certPem).checkPrivateKey(createPrivateKey(renewed.keyPem))).toBe(true);
    // The next renewal follows the new certificate.
    expect(agent.renewAt!.getTime()).toBeGreaterThan(Date.now() + 500_000);
  });

  it('never asks when told not to renew on its own', async () => {
    agents.forEach((a) => a.stop());
    [call, hello] = [undefined, undefined];
    const agent = agentWith({ renew: false });
    agent.start();
    await eventually(() => expect(hello).toBeDefined(), 10_000);
    call!.write(identityForCsr(hello!.csrPem!, hello!.requestId, new Date()));
    await eventually(() => expect(agent.identity).toBeDefined(), 10_000);
    expect(agent.renewAt).toBeUndefined();
  });
});
