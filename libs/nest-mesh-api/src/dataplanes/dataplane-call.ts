import type { OutgoingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import {
  StreamRefusedError,
  StreamStatus,
  type DataplaneChannel,
  type DataplaneHub,
  type DataplaneSession,
} from '@meshtls/application';
import {
  STREAM_END_TRAILER,
  dataplaneStreamMethod,
  decodeDataplaneClientMessage,
  type DataplaneClientMessage,
  type DataplaneServerMessage,
} from '@meshtls/contracts';
import { GrpcCode, GrpcFramingError, GrpcMessageReader, encodeGrpcMessage, frameMessage } from './grpc-wire';

/** The largest message a dataplane may send: a hello with its Dataplane resource and CSR fits many times. */
export const MAX_DATAPLANE_MESSAGE_BYTES = 256 * 1024;

export const GRPC_CONTENT_TYPE = 'application/grpc';

const GRPC_CODES: Record<StreamStatus, GrpcCode> = {
  [StreamStatus.Unauthenticated]: GrpcCode.Unauthenticated,
  [StreamStatus.PermissionDenied]: GrpcCode.PermissionDenied,
  [StreamStatus.NotFound]: GrpcCode.NotFound,
  [StreamStatus.InvalidArgument]: GrpcCode.InvalidArgument,
  [StreamStatus.FailedPrecondition]: GrpcCode.FailedPrecondition,
  [StreamStatus.ResourceExhausted]: GrpcCode.ResourceExhausted,
  [StreamStatus.Aborted]: GrpcCode.Aborted,
  [StreamStatus.Unavailable]: GrpcCode.Unavailable,
};

export type DataplaneLog = (level: 'warn' | 'debug', message: string) => void;

/**
 * Ends a stream with a gRPC status: in the trailers when the response has begun, as a trailers-only
 * response when it has not. Nothing is sent on a stream already closed.
 */
export function endWithStatus(
  stream: ServerHttp2Stream,
  code: GrpcCode,
  message: string,
  extra: OutgoingHttpHeaders = {},
): void {
  if (stream.destroyed || stream.closed || stream.writableEnded) return;
  const status: OutgoingHttpHeaders = { 'grpc-status': String(code), ...extra };
  if (message) status['grpc-message'] = encodeGrpcMessage(message);
  if (!stream.headersSent) {
    stream.respond({ ':status': 200, 'content-type': GRPC_CONTENT_TYPE, ...status }, { endStream: true });
    return;
  }
  (stream as CallStream)[TRAILERS] = status;
  stream.end();
}

const CALL = Symbol('dataplane call');
const TRAILERS = Symbol('grpc trailers');
type CallStream = ServerHttp2Stream & { [CALL]?: DataplaneCall; [TRAILERS]?: OutgoingHttpHeaders };

// One set of listeners for every stream (`this` is the stream): a fleet keeps tens of thousands open.
function onData(this: CallStream, chunk: Buffer): void {
  this[CALL]?.receiveBytes(chunk);
}
function onEnd(this: CallStream): void {
  this[CALL]?.peerEnded();
}
function onClose(this: CallStream): void {
  this[CALL]?.finish();
}
function onWantTrailers(this: CallStream): void {
  this.sendTrailers(this[TRAILERS] ?? { 'grpc-status': String(GrpcCode.Ok) });
}
function helloTimedOut(call: DataplaneCall, timeoutMs: number): void {
  call.noHello(timeoutMs);
}

/**
 * One dataplane's stream: the channel the hub sends on, and the messages it receives handed to the
 * hub. The first message must be a hello. The stream's state is this object and the stream itself.
 */
export class DataplaneCall implements DataplaneChannel {
  /** The hub has been told the stream ended (or never will be asked about it): nothing more is handled. */
  private finished = false;
  private hello = false;
  private session: DataplaneSession | undefined;
  /** Set until the hello arrives (or the stream ends): a stream is not held open without one. */
  private helloTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly reader = new GrpcMessageReader(MAX_DATAPLANE_MESSAGE_BYTES);

  constructor(
    private readonly stream: ServerHttp2Stream,
    private readonly hub: DataplaneHub,
    private readonly log: DataplaneLog,
  ) {}

  /** Follows the stream; one without its hello after `helloTimeoutMs` (0: never) is ended. */
  listen(helloTimeoutMs: number): void {
    if (helloTimeoutMs > 0) {
      this.helloTimer = setTimeout(helloTimedOut, helloTimeoutMs, this, helloTimeoutMs);
      this.helloTimer.unref();
    }
    const stream = this.stream as CallStream;
    stream[CALL] = this;
    stream.on('error', onClose); // a reset from the peer, a broken connection: 'close' follows
    stream.on('close', onClose);
    stream.on('end', onEnd);
    stream.on('data', onData);
    stream.on('wantTrailers', onWantTrailers);
  }

  send(message: DataplaneServerMessage): void {
    const { stream } = this;
    if (this.finished || stream.destroyed || stream.writableEnded) return;
    let payload: Buffer;
    try {
      payload = dataplaneStreamMethod.responseSerialize(message);
    } catch {
      this.log('warn', `could not encode a ${message.type} message for a dataplane; its stream is ended`);
      return this.end(GrpcCode.Internal, `the control plane could not encode a ${message.type} message`);
    }
    if (!stream.headersSent)
      stream.respond({ ':status': 200, 'content-type': GRPC_CONTENT_TYPE }, { waitForTrailers: true });
    stream.write(frameMessage(payload));
  }

  close(status: StreamStatus, message: string, reason?: StreamRefusedError['reason']): void {
    this.end(GRPC_CODES[status], message, reason);
  }

  /** The stream ended, whichever side ended it: the hub forgets its session. */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    clearTimeout(this.helloTimer);
    if (this.session) this.hub.disconnect(this.session);
  }

  receiveBytes(chunk: Buffer): void {
    if (this.finished) return;
    let messages: Buffer[];
    try {
      messages = this.reader.push(chunk);
    } catch (error) {
      if (!(error instanceof GrpcFramingError)) throw error;
      return this.end(error.code, error.message);
    }
    for (const bytes of messages) {
      if (this.finished) return;
      const decoded = decodeDataplaneClientMessage(bytes);
      if (decoded.problem !== undefined)
        return this.end(GrpcCode.InvalidArgument, `a message ${decoded.problem}`);
      this.receive(decoded.message);
    }
  }

  noHello(timeoutMs: number): void {
    this.end(GrpcCode.Unauthenticated, `no hello (with the dataplane token) within ${timeoutMs / 1000} s`);
  }

  /** The dataplane closed its side: the stream ends with OK unless it had ended already. */
  peerEnded(): void {
    const wasFinished = this.finished;
    this.finish();
    if (!wasFinished) endWithStatus(this.stream, GrpcCode.Ok, '');
  }

  private end(code: GrpcCode, message: string, reason?: string): void {
    if (this.finished) return;
    endWithStatus(this.stream, code, message, reason ? { [STREAM_END_TRAILER]: reason } : {});
    this.finish();
  }

  private receive(message: DataplaneClientMessage): void {
    if (this.session) return this.hub.onMessage(this.session, message);
    if (this.hello) return; // messages before the identity is sent are not expected; ignore
    if (message.type !== 'hello')
      return this.close(StreamStatus.InvalidArgument, 'the first message must be a hello');
    this.hello = true;
    clearTimeout(this.helloTimer);
    this.helloTimer = undefined;
    this.hub
      .connect(this, message, (s) => (this.session = s))
      .then((s) => {
        if (this.finished) this.hub.disconnect(s);
      })
      .catch((error: unknown) => {
        if (error instanceof StreamRefusedError) {
          this.log('debug', `dataplane ${message.mesh}/${message.name} refused: ${error.message}`);
          return this.close(error.status, error.message, error.reason);
        }
        this.log('warn', `dataplane ${message.mesh}/${message.name}: ${(error as Error).message}`);
        this.close(StreamStatus.Unavailable, `could not serve the dataplane: ${(error as Error).message}`);
      });
  }
}
