/**
 * The v5 status codes (`apache.rocketmq.v2.Code`): every response carries a `Status {code,
 * message}`; a request is refused with the code that says why, never with a transport error or a
 * hang. The names and numbers are the protocol's (generated from the protos).
 */
import { Code } from './generated/apache/rocketmq/v2/Code.js';
import type { Status } from './generated/apache/rocketmq/v2/Status.js';

export { Code };
export type CodeName = keyof typeof Code;

/** A Status with this code and message. */
export function status(code: CodeName, message: string = code): Status & { code: CodeName; message: string } {
  return { code, message };
}

export const OK_STATUS = status('OK');

/** A refusal raised inside a handler: the handler answers `status(code, message)`. */
export class V2Error extends Error {
  override readonly name = 'V2Error';
  constructor(
    readonly code: Exclude<CodeName, 'OK'>,
    message: string,
  ) {
    super(message);
  }

  get status(): Status {
    return status(this.code, this.message);
  }
}
