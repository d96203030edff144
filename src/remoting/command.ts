/**
 * RemotingCommand: one request or response of the RocketMQ remoting protocol (docs/design/protocol.md#json-header),
 * as plain data. Encoding lives in json-header.ts / binary-header.ts / frame-codec.ts.
 */
import { RMQ_PROTOCOL_VERSION } from './version.js';

/** `LanguageCode` enum of Java, in byte-code order (the ROCKETMQ binary header carries the index). */
export const LANGUAGE_CODES = [
  'JAVA', 'CPP', 'DOTNET', 'PYTHON', 'DELPHI', 'ERLANG', 'RUBY', 'OTHER', 'HTTP', 'GO', 'PHP', 'OMS', 'RUST', 'NODE_JS',
] as const;
export type LanguageCode = (typeof LANGUAGE_CODES)[number];

/** Which header encoding a frame used (high byte of the header-length word). */
export const SerializeType = { JSON: 0, ROCKETMQ: 1 } as const;
export type SerializeTypeName = keyof typeof SerializeType;

/** flag bit 0: this is a response. */
export const FLAG_RESPONSE = 1;
/** flag bit 1: oneway request, the peer writes no response. */
export const FLAG_ONEWAY = 2;

/** extFields as they travel: always string → string (Go clients decode them as map[string]string). */
export type ExtFields = Record<string, string>;

export interface RemotingCommand {
  code: number;
  /**
   * The sender's language as written on the wire. We write 'JAVA' (what every RocketMQ client and
   * server writes or accepts); decoded commands keep whatever the peer sent (a binary header byte
   * outside the table reads as 'OTHER').
   */
  language: string;
  version: number;
  opaque: number;
  flag: number;
  remark?: string;
  extFields?: ExtFields;
  /** Absent when the frame has no body. May be a view into a larger receive buffer: copy to keep. */
  body?: Buffer;
  /** How the header was encoded when decoded; ignored when encoding (we always write JSON). */
  serializeType?: SerializeTypeName;
}

export const isResponse = (cmd: RemotingCommand): boolean => (cmd.flag & FLAG_RESPONSE) !== 0;
export const isOneway = (cmd: RemotingCommand): boolean => (cmd.flag & FLAG_ONEWAY) !== 0;

let opaqueCounter = 0;
/** Request ids: process-wide, like Java's static counter; wraps within int32. */
export function nextOpaque(): number {
  opaqueCounter = (opaqueCounter + 1) & 0x7fffffff;
  return opaqueCounter;
}

export interface RequestInit {
  extFields?: ExtFields;
  body?: Buffer;
  remark?: string;
}

/** A request with a fresh opaque (the connection may replace it when it sends). */
export function createRequest(code: number, init: RequestInit = {}): RemotingCommand {
  const cmd: RemotingCommand = { code, language: 'JAVA', version: RMQ_PROTOCOL_VERSION, opaque: nextOpaque(), flag: 0 };
  if (init.extFields !== undefined) cmd.extFields = init.extFields;
  if (init.body !== undefined) cmd.body = init.body;
  if (init.remark !== undefined) cmd.remark = init.remark;
  return cmd;
}

export interface ResponseInit {
  remark?: string;
  extFields?: ExtFields;
  body?: Buffer;
}

/** The response to `request`: response flag set, the request's opaque copied (docs/design/protocol.md#responses). */
export function createResponse(request: RemotingCommand, code: number, init: ResponseInit = {}): RemotingCommand {
  const cmd: RemotingCommand = { code, language: 'JAVA', version: RMQ_PROTOCOL_VERSION, opaque: request.opaque, flag: FLAG_RESPONSE };
  if (init.remark !== undefined) cmd.remark = init.remark;
  if (init.extFields !== undefined) cmd.extFields = init.extFields;
  if (init.body !== undefined) cmd.body = init.body;
  return cmd;
}
