import { RmqError } from '../../errors.js';

export type SshFailure =
  | 'unreachable'
  | 'timeout'
  | 'auth'
  | 'host-key-unknown'
  | 'host-key-changed'
  | 'host-key-revoked'
  | 'command-timeout'
  | 'closed'
  | 'sftp'
  | 'protocol';

/** Anything that went wrong talking to one host; the message always starts with the host. */
export class SshError extends RmqError {
  override readonly name: string = 'SshError';
  constructor(
    /** `user@host:port` as the operator wrote it. */
    readonly host: string,
    readonly failure: SshFailure,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${host}: ${message}`, options);
  }
}
