/**
 * gRPC's wire format over HTTP/2, as much of it as the dataplane stream needs (one bidirectional method,
 * no compression): length-prefixed messages, the status codes and the percent-encoded `grpc-message`.
 * See https://github.com/grpc/grpc/blob/master/doc/PROTOCOL-HTTP2.md.
 */

/** The gRPC status codes the server sends. */
export enum GrpcCode {
  Ok = 0,
  InvalidArgument = 3,
  NotFound = 5,
  PermissionDenied = 7,
  ResourceExhausted = 8,
  FailedPrecondition = 9,
  Aborted = 10,
  Unimplemented = 12,
  Internal = 13,
  Unavailable = 14,
  Unauthenticated = 16,
}

/** A message's prefix: a compressed flag and its length (4 bytes, big-endian). */
const PREFIX_BYTES = 5;

/** One message framed for the wire. */
export function frameMessage(payload: Buffer): Buffer {
  const frame = Buffer.allocUnsafe(PREFIX_BYTES + payload.length);
  frame[0] = 0;
  frame.writeUInt32BE(payload.length, 1);
  payload.copy(frame, PREFIX_BYTES);
  return frame;
}

/** Why the bytes a peer sent cannot be read as messages: the status to end the stream with, and why. */
export class GrpcFramingError extends Error {
  constructor(
    readonly code: GrpcCode,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Cuts the bytes of one stream into messages, whatever the DATA frames' boundaries. Holds only the
 * bytes of the message being received (nothing between messages), and refuses a message above
 * `maxBytes` from its prefix, before any of it is buffered.
 */
export class GrpcMessageReader {
  /** Bytes received after the last whole message. */
  private pending: Buffer | undefined;
  /** The length of the message being received, once its prefix is complete; -1 before. */
  private expected = -1;

  constructor(private readonly maxBytes: number) {}

  /** The messages `chunk` completes, in order; throws {@link GrpcFramingError} on bytes that are not. */
  push(chunk: Buffer): Buffer[] {
    const messages: Buffer[] = [];
    let bytes = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = undefined;
    for (;;) {
      if (this.expected < 0) {
        if (bytes.length < PREFIX_BYTES) break;
        this.expected = this.readPrefix(bytes);
        bytes = bytes.subarray(PREFIX_BYTES);
      }
      if (bytes.length < this.expected) break;
      // A copy: the chunk's memory is not kept alive by a message a handler holds on to.
      messages.push(Buffer.from(bytes.subarray(0, this.expected)));
      bytes = bytes.subarray(this.expected);
      this.expected = -1;
    }
    if (bytes.length > 0) this.pending = Buffer.from(bytes);
    return messages;
  }

  private readPrefix(bytes: Buffer): number {
    const flag = bytes[0];
    if (flag === 1)
      throw new GrpcFramingError(
        GrpcCode.Internal,
        'compressed message, but no grpc-encoding was negotiated',
      );
    if (flag !== 0) throw new GrpcFramingError(GrpcCode.Internal, `message flag ${flag} is not 0 or 1`);
    const length = bytes.readUInt32BE(1);
    if (length > this.maxBytes)
      throw new GrpcFramingError(
        GrpcCode.ResourceExhausted,
        `message of ${length} bytes is larger than the ${this.maxBytes} allowed`,
      );
    return length;
  }
}

/**
 * `grpc-message` as the protocol carries it: UTF-8, with `%` and every byte outside printable ASCII
 * percent-encoded.
 */
export function encodeGrpcMessage(message: string): string {
  let out = '';
  for (const byte of Buffer.from(message, 'utf8')) {
    out +=
      byte >= 0x20 && byte <= 0x7e && byte !== 0x25
        ? String.fromCharCode(byte)
        : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}
