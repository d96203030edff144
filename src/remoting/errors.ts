import { RmqError } from '../errors.js';
import { requestCodeLabel, responseCodeLabel } from './codes.js';

/** The byte stream of a connection cannot be decoded any further: the connection must close. */
export class FrameError extends RmqError {
  override readonly name: string = 'FrameError';
}

/**
 * A command that cannot be answered successfully, with the response code to answer it with.
 * Thrown by request handlers (the server turns it into a response with that code and the message
 * as remark) and by clients that received a non-success response.
 */
export class ResponseError extends RmqError {
  override readonly name: string = 'ResponseError';
  constructor(
    readonly responseCode: number,
    message: string,
  ) {
    super(message);
  }
}

/** A response with a non-success code, raised on the client side. */
export class RemoteResponseError extends ResponseError {
  override readonly name: string = 'RemoteResponseError';
  constructor(
    responseCode: number,
    readonly remark: string | undefined,
    readonly requestCode: number,
    readonly addr: string,
  ) {
    super(responseCode, `${addr} answered ${requestCodeLabel(requestCode)} with ${responseCodeLabel(responseCode)}${remark ? `: ${remark.trim()}` : ''}`);
  }
}

export class RemotingTimeoutError extends RmqError {
  override readonly name: string = 'RemotingTimeoutError';
  constructor(
    readonly addr: string,
    readonly requestCode: number,
    readonly timeoutMillis: number,
  ) {
    super(`${requestCodeLabel(requestCode)} to ${addr}: no response within ${timeoutMillis} ms`);
  }
}

export class RemotingConnectError extends RmqError {
  override readonly name: string = 'RemotingConnectError';
  constructor(
    readonly addr: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`cannot connect to ${addr}: ${message}`, options);
  }
}

/** The connection closed (or was closed) while a request waited for its response. */
export class ConnectionClosedError extends RmqError {
  override readonly name: string = 'ConnectionClosedError';
  constructor(
    readonly addr: string,
    readonly reason: string,
  ) {
    super(`connection to ${addr} closed: ${reason}`);
  }
}
