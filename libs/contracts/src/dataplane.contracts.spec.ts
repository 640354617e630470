import {
  DATAPLANE_STREAM_PATH,
  MAX_DATAPLANE_SERVER_MESSAGE_BYTES,
  dataplaneServerMessageProblem,
  dataplaneIdentityService,
  dataplaneStreamMethod,
} from './dataplane.contracts';
import type { DataplaneClientMessage } from './dataplane-client.messages';
import { MAX_TRAFFIC_PERMISSIONS, type DataplaneServerMessage } from './dataplane-server.messages';

const hello: DataplaneClientMessage = {
  type: 'hello',
  mesh: 'default',
  name: 'web-1',
  token: 'aaa.bbb.ccc',
  session: 'session-1',
  csrPem: '-----BEGIN CERTIFICATE REQUEST-----\n...',
  requestId: 'r-1',
};

const csrRequest: DataplaneServerMessage = {
  type: 'csr-request',
  requestId: 'r-2',
  reason: 'rotation',
  keyType: 'ec-p256',
};

const bytes = (value: unknown) => Buffer.from(JSON.stringify(value));

describe('the dataplane stream method', () => {
  it('is the one gRPC method of the identity service', () => {
    expect(dataplaneIdentityService.stream).toBe(dataplaneStreamMethod);
    expect(dataplaneStreamMethod).toMatchObject({
      path: DATAPLANE_STREAM_PATH,
      requestStream: true,
      responseStream: true,
    });
  });

  it('carries checked messages both ways as JSON', () => {
    const wire = dataplaneStreamMethod.requestSerialize(hello);
    expect(JSON.parse(wire.toString('utf8'))).toEqual(hello);
    expect(dataplaneStreamMethod.requestDeserialize(wire)).toEqual(hello);
    const reply = dataplaneStreamMethod.responseSerialize(csrRequest);
    expect(dataplaneStreamMethod.responseDeserialize(reply)).toEqual(csrRequest);
  });

  it('carries a CSR sent unasked as a renewal, and no other reason', () => {
    const renewal: DataplaneClientMessage = {
      type: 'csr',
      requestId: 'r-3',
      csrPem: 'pem',
      reason: 'renewal',
    };
    const wire = dataplaneStreamMethod.requestSerialize(renewal);
    expect(dataplaneStreamMethod.requestDeserialize(wire)).toEqual(renewal);
    expect(() => dataplaneStreamMethod.requestDeserialize(bytes({ ...renewal, reason: 'because' }))).toThrow(
      /reason/,
    );
  });

  it('refuses to send a message its schema refuses', () => {
    // A session shorter than 8 characters, a key type the dataplane cannot make.
    expect(() => dataplaneStreamMethod.requestSerialize({ ...hello, session: 's' })).toThrow(/session/);
    expect(() =>
      dataplaneStreamMethod.responseSerialize({
        ...csrRequest,
        keyType: 'dsa',
      } as unknown as DataplaneServerMessage),
    ).toThrow(/keyType/);
  });

  it('refuses received bytes that are not JSON, of an unknown type, or out of bounds', () => {
    expect(() => dataplaneStreamMethod.requestDeserialize(Buffer.from('{"type":"hello"'))).toThrow(
      SyntaxError,
    );
    expect(() => dataplaneStreamMethod.requestDeserialize(bytes({ type: 'goodbye' }))).toThrow(/type/);
    expect(() =>
      dataplaneStreamMethod.requestDeserialize(
        bytes({ type: 'csr', requestId: 'r-1', csrPem: 'x'.repeat(16 * 1024 + 1) }),
      ),
    ).toThrow(/csrPem/);
    // The server's messages are checked on receipt too: a trust anchor without its certificate.
    expect(() =>
      dataplaneStreamMethod.responseDeserialize(
        bytes({ type: 'trust', supportedBackends: ['ca-1'], trustBundle: [{ backend: 'ca-1' }] }),
      ),
    ).toThrow(/certPem/);
  });
});

describe('dataplaneServerMessageProblem', () => {
  const traffic = (permissions: number, specBytes = 10): DataplaneServerMessage => ({
    type: 'traffic',
    dataplane: { networking: {} },
    permissions: Array.from({ length: permissions }, (_, i) => ({
      name: `p-${i}`,
      spec: { pad: 'x'.repeat(specBytes) },
    })),
    endpoints: [],
  });

  it('passes a message the stream carries', () => {
    expect(dataplaneServerMessageProblem(csrRequest)).toBeUndefined();
    expect(dataplaneServerMessageProblem(traffic(MAX_TRAFFIC_PERMISSIONS))).toBeUndefined();
  });

  it('names what the stream would refuse: one permission too many, or too many bytes', () => {
    expect(dataplaneServerMessageProblem(traffic(MAX_TRAFFIC_PERMISSIONS + 1))).toMatch(
      /^does not match its schema \(permissions: .*10000/,
    );
    const big = traffic(100, Math.ceil(MAX_DATAPLANE_SERVER_MESSAGE_BYTES / 100));
    expect(dataplaneServerMessageProblem(big)).toMatch(
      /^is \d+ bytes, above the 4194304 a dataplane accepts$/,
    );
  });
});
