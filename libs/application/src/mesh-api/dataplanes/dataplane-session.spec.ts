import type { DataplaneServerMessage } from '@meshtls/contracts';
import type { DataplaneSpec } from '@meshtls/domain';
import { DataplaneSession, SessionClosedError } from './dataplane-session';

function sessionWith(sent: DataplaneServerMessage[], spec?: DataplaneSpec): DataplaneSession {
  return new DataplaneSession(
    'default',
    'web-1',
    'process-1',
    { send: (m) => sent.push(m), close: () => undefined },
    true,
    spec ?? {
      networking: { address: '10.0.0.1', inbound: [{ port: 8080, tags: { 'kuma.io/service': 'web' } }] },
    },
    { enabledBackend: 'ca-1', supportedBackends: ['ca-1'] },
    new Date(0).toISOString(),
  );
}

describe('DataplaneSession', () => {
  it('runs work in the order given, also work given after the earlier work is done, past failures', async () => {
    const session = sessionWith([]);
    const order: string[] = [];
    const slow = session.serialize(async () => {
      await new Promise((r) => setImmediate(r));
      order.push('first');
    });
    const failing = session.serialize(async () => {
      order.push('second');
      throw new Error('second failed');
    });
    const third = session.serialize(async () => order.push('third'));
    await expect(failing).rejects.toThrow('second failed');
    await Promise.all([slow, third]);
    // Idle now: later work still runs after work queued with it.
    const fourth = session.serialize(async () => {
      await new Promise((r) => setImmediate(r));
      order.push('fourth');
    });
    const fifth = session.serialize(async () => order.push('fifth'));
    await Promise.all([fourth, fifth]);
    expect(order).toEqual(['first', 'second', 'third', 'fourth', 'fifth']);
  });

  it('asks for CSRs one after the other and in parallel, and fails those pending when the stream closes', async () => {
    const sent: DataplaneServerMessage[] = [];
    const session = sessionWith(sent);
    const requestIdOf = (i: number) => (sent[i] as { requestId: string }).requestId;

    const first = session.requestCsr('rotation', 'ec-p256', 60_000);
    expect(session.receiveCsr(requestIdOf(0), 'csr-1')).toBe(true);
    await expect(first).resolves.toEqual({ csrPem: 'csr-1', requestId: requestIdOf(0) });
    expect(session.receiveCsr(requestIdOf(0), 'csr-1 again')).toBe(false);

    const second = session.requestCsr('rotation', 'ec-p256', 60_000);
    const third = session.requestCsr('mesh-change', 'ec-p256', 60_000);
    expect(session.receiveCsr(requestIdOf(2), 'csr-3')).toBe(true);
    await expect(third).resolves.toEqual({ csrPem: 'csr-3', requestId: requestIdOf(2) });
    session.markClosed();
    await expect(second).rejects.toThrow(SessionClosedError);
    expect(session.receiveCsr(requestIdOf(1), 'csr-2')).toBe(false);
    await expect(session.requestCsr('rotation', 'ec-p256', 60_000)).rejects.toThrow(SessionClosedError);
  });

  it('lists the services it calls once per version of its resource, without repeats', () => {
    const session = sessionWith([]);
    expect(session.outboundServices).toEqual([]);
    session.spec = {
      networking: {
        address: '10.0.0.1',
        inbound: [{ port: 8080, tags: { 'kuma.io/service': 'web' } }],
        outbound: [
          { port: 10001, tags: { 'kuma.io/service': 'backend' } },
          { port: 10002, tags: { 'kuma.io/service': 'db' } },
          { port: 10003, tags: { 'kuma.io/service': 'backend' } },
        ],
      },
    } as DataplaneSpec;
    expect(session.outboundServices).toEqual(['backend', 'db']);
    expect(session.outboundServices).toBe(session.outboundServices);
  });

  it('counts an acknowledgement only for the certificate or bundle last sent, whatever else a peer sends', () => {
    const session = sessionWith([]);
    session.identitySent('serial-1', 'ca-1', ['ca-1', 'ca-2']);
    session.bundleSent('bundle-2', ['ca-1', 'ca-2', 'ca-3']);
    // Unknown serials and bundle ids, and a bundle id sent with the certificate's serial, change nothing.
    expect(session.acknowledged({ serial: 'serial-0' })).toBe(false);
    expect(session.acknowledged({ serial: '', bundle: 'bundle-1' })).toBe(false);
    expect(session.acknowledged({ serial: 'serial-1', bundle: 'forged' })).toBe(false);
    expect(session.caAcks).toEqual({});
    expect(session.acknowledged({ serial: 'serial-1' })).toBe(true);
    expect(session.caAcks).toEqual({ trusted: ['ca-1', 'ca-2'], certBackend: 'ca-1' });
    expect(session.acknowledged({ serial: '', bundle: 'bundle-2' })).toBe(true);
    expect(session.caAcks).toEqual({ trusted: ['ca-1', 'ca-2', 'ca-3'], certBackend: 'ca-1' });
    // Each counts once: the same acknowledgement again is nothing new.
    expect(session.acknowledged({ serial: '', bundle: 'bundle-2' })).toBe(false);
  });
});
