import { GrpcCode, GrpcFramingError, GrpcMessageReader, encodeGrpcMessage, frameMessage } from './grpc-wire';

const messages = ['{"a":1}', '', 'x'.repeat(70_000), '{"b":"ü"}'].map((s) => Buffer.from(s));
const wire = Buffer.concat(messages.map(frameMessage));

describe('frameMessage', () => {
  it('prefixes a message with a zero flag and its length, big-endian', () => {
    expect(frameMessage(Buffer.from('{}'))).toEqual(Buffer.from([0, 0, 0, 0, 2, 0x7b, 0x7d]));
    expect(frameMessage(Buffer.alloc(70_000)).readUInt32BE(1)).toBe(70_000);
  });
});

describe('GrpcMessageReader', () => {
  it('gives the same messages whatever the chunks: all at once, byte by byte, or in odd slices', () => {
    const whole = new GrpcMessageReader(1 << 20).push(wire);
    expect(whole).toEqual(messages);

    const byByte = new GrpcMessageReader(1 << 20);
    const got: Buffer[] = [];
    for (let i = 0; i < wire.length; i++) got.push(...byByte.push(wire.subarray(i, i + 1)));
    expect(got).toEqual(messages);

    const sliced = new GrpcMessageReader(1 << 20);
    const fromSlices: Buffer[] = [];
    for (let i = 0; i < wire.length; i += 4_099) fromSlices.push(...sliced.push(wire.subarray(i, i + 4_099)));
    expect(fromSlices).toEqual(messages);
  });

  it('gives messages that do not share the chunk they came in', () => {
    const chunk = Buffer.concat([frameMessage(Buffer.from('abc')), frameMessage(Buffer.from('d'))]);
    const [first] = new GrpcMessageReader(100).push(chunk);
    chunk.fill(0);
    expect(first?.toString()).toBe('abc');
  });

  it('refuses a message above the limit from its prefix, before its bytes arrive', () => {
    const reader = new GrpcMessageReader(1_000);
    const prefix = frameMessage(Buffer.alloc(1_001)).subarray(0, 5);
    expect(() => reader.push(prefix)).toThrow(
      new GrpcFramingError(
        GrpcCode.ResourceExhausted,
        'message of 1001 bytes is larger than the 1000 allowed',
      ),
    );
    expect(new GrpcMessageReader(1_000).push(frameMessage(Buffer.alloc(1_000)))).toHaveLength(1);
  });

  it('refuses compressed messages (none is negotiated) and flags that mean nothing', () => {
    const compressed = frameMessage(Buffer.from('{}'));
    compressed[0] = 1;
    expect(() => new GrpcMessageReader(100).push(compressed)).toThrow(/compressed message/);
    compressed[0] = 7;
    let caught: unknown;
    try {
      new GrpcMessageReader(100).push(compressed);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(GrpcFramingError);
    expect(caught).toMatchObject({ code: GrpcCode.Internal, message: 'message flag 7 is not 0 or 1' });
  });
});

describe('encodeGrpcMessage', () => {
  it('keeps printable ASCII and percent-encodes "%" and every other byte of the UTF-8', () => {
    expect(encodeGrpcMessage('plain text: ok')).toBe('plain text: ok');
    expect(encodeGrpcMessage('100% – sure\n')).toBe('100%25 %E2%80%93 sure%0A');
    const any = 'ünïcode ✓ 100% \t done';
    expect(decodeURIComponent(encodeGrpcMessage(any))).toBe(any);
  });
});
