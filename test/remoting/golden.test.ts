/**
 * Byte-exact encodings against layouts fixed by the reference implementations. Each case says
 * where its expected bytes come from.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { FLAG_RESPONSE, type RemotingCommand } from '../../src/remoting/command.js';
import { decodeBinaryHeader, encodeBinaryHeader } from '../../src/remoting/binary-header.js';
import { decodeCommand, encodeCommand, markProtocolType } from '../../src/remoting/frame-codec.js';
import { encodeJsonHeader } from '../../src/remoting/json-header.js';

const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
};

describe('header-length word', () => {
  it('JSON, length 261 → 00 00 01 05', () => {
    // apache/rocketmq RemotingCommandTest.testMarkProtocolType_JSONProtocolType
    expect(u32(markProtocolType(261, 0))).toEqual(Buffer.from([0x00, 0x00, 0x01, 0x05]));
  });

  it('ROCKETMQ, length 0xFFFFFF → 01 FF FF FF', () => {
    // apache/rocketmq RemotingCommandTest.testMarkProtocolType_ROCKETMQProtocolType
    expect(u32(markProtocolType(16777215, 1))).toEqual(Buffer.from([0x01, 0xff, 0xff, 0xff]));
  });
});

describe('JSON header as fastjson writes it', () => {
  // A real broker's reply (protocol.md §1.2, seen in public exploit and test code): keys in
  // alphabetical order, no null fields.
  const brokerReply = '{"code":0,"flag":1,"language":"JAVA","opaque":0,"serializeTypeCurrentRPC":"JSON","version":403}';
  const cmd: RemotingCommand = { code: 0, flag: FLAG_RESPONSE, language: 'JAVA', opaque: 0, version: 403 };

  it('writes the header text byte for byte', () => {
    expect(encodeJsonHeader(cmd)).toBe(brokerReply);
  });

  it('frames it as length | header-length word | header', () => {
    const frame = encodeCommand(cmd);
    const header = Buffer.from(brokerReply, 'utf8');
    expect(frame).toEqual(Buffer.concat([u32(4 + header.length), u32(header.length), header]));
    // the prefix written out by hand: the header is 95 bytes, so length = 99 (0x63), word = 0x5f
    expect(frame.subarray(0, 8).toString('hex')).toBe('000000630000005f');
  });

  it('puts extFields (all strings) and remark where fastjson puts them', () => {
    // Field order per fastjson's alphabetical order of RemotingCommand's fields: code, extFields,
    // flag, language, opaque, remark, serializeTypeCurrentRPC, version. extFields is a HashMap in
    // Java (written in hash order); ours go out in insertion order. Values: the Java 4.x send
    // sample of protocol.md §2.3.1.
    const c: RemotingCommand = {
      code: 310,
      flag: 0,
      language: 'JAVA',
      opaque: 7,
      version: 317,
      remark: 'r',
      extFields: { a: 'yyzGroup2', b: 'yyztest2', i: 'TAGS\u0001TAG\u0002WAIT\u0001true\u0002KEYS\u0001ffff\u0002', k: 'false' },
    };
    expect(encodeJsonHeader(c)).toBe(
      '{"code":310,"extFields":{"a":"yyzGroup2","b":"yyztest2","i":"TAGS\\u0001TAG\\u0002WAIT\\u0001true\\u0002KEYS\\u0001ffff\\u0002","k":"false"},' +
        '"flag":0,"language":"JAVA","opaque":7,"remark":"r","serializeTypeCurrentRPC":"JSON","version":317}',
    );
  });

  it('escapes what JSON must escape and keeps non-ASCII as UTF-8', () => {
    const c: RemotingCommand = { code: 1, flag: 1, language: 'JAVA', opaque: 1, version: 1, remark: 'quote " back \\ nl \n 中文 😀' };
    const frame = encodeCommand(c);
    expect(decodeCommand(frame).remark).toBe(c.remark);
    expect(frame.includes(Buffer.from('中文', 'utf8'))).toBe(true);
  });
});

describe('ROCKETMQ binary header', () => {
  // apache/rocketmq RocketMQSerializableTest: code 103 (REGISTER_BROKER), JAVA, version 2333.
  const base: RemotingCommand = { code: 103, language: 'JAVA', version: 2333, opaque: 0, flag: 0 };

  it('without remark and extFields: 21 bytes', () => {
    // testRocketMQProtocolEncodeAndDecode_WithoutRemarkWithoutExtFields: size 21, code@0,
    // language@2, version@3, flag@9, remark length@13 = 0, extFields length@17 = 0.
    const b = encodeBinaryHeader(base);
    expect(b.toString('hex')).toBe('0067' + '00' + '091d' + '00000000' + '00000000' + '00000000' + '00000000');
    const d = decodeBinaryHeader(b, 0, b.length);
    expect(d).toMatchObject({ code: 103, language: 'JAVA', version: 2333, opaque: 0, flag: 0 });
    expect(d.remark).toBeUndefined();
    expect(d.extFields).toBeUndefined();
  });

  it('with remark "Sample Remark": 34 bytes, remark length 13 at offset 13', () => {
    // testRocketMQProtocolEncodeAndDecode_WithRemarkWithoutExtFields
    const b = encodeBinaryHeader({ ...base, remark: 'Sample Remark' });
    expect(b.length).toBe(34);
    expect(b.readInt32BE(13)).toBe(13);
    expect(b.toString('utf8', 17, 30)).toBe('Sample Remark');
    expect(b.readInt32BE(30)).toBe(0);
    expect(decodeBinaryHeader(b, 0, b.length).remark).toBe('Sample Remark');
  });

  it('with extFields {key: value}: 35 bytes, block length 14 at offset 17', () => {
    // testRocketMQProtocolEncodeAndDecode_WithoutRemarkWithExtFields
    const b = encodeBinaryHeader({ ...base, extFields: { key: 'value' } });
    expect(b.length).toBe(35);
    expect(b.readInt32BE(17)).toBe(14);
    expect(b.subarray(21).toString('hex')).toBe('0003' + Buffer.from('key').toString('hex') + '00000005' + Buffer.from('value').toString('hex'));
    expect(decodeBinaryHeader(b, 0, b.length).extFields).toEqual({ key: 'value' });
  });

  it('decodes a whole ROCKETMQ-type frame with a body', () => {
    const header = encodeBinaryHeader({ ...base, opaque: 42, flag: 2, extFields: { topic: 'T' } });
    const body = Buffer.from([0, 1, 2, 3, 4]);
    const frame = Buffer.concat([u32(4 + header.length + body.length), u32(markProtocolType(header.length, 1)), header, body]);
    const cmd = decodeCommand(frame);
    expect(cmd).toMatchObject({ code: 103, opaque: 42, flag: 2, serializeType: 'ROCKETMQ', extFields: { topic: 'T' } });
    expect(cmd.body).toEqual(body);
  });
});

describe('frames written by ali-ons 3.12.0', () => {
  // ali-ons' own RemotingCommand (node_modules/ali-ons/lib/protocol/command/remoting_command.js)
  // encodes the frame: JSON keys in insertion order, numbers and booleans left as JSON values.
  const require = createRequire(import.meta.url);
  const AliRemotingCommand = require('ali-ons/lib/protocol/command/remoting_command') as {
    createRequestCommand(code: number, header: Record<string, unknown>): { opaque: number; body: Buffer | null; encode(): Buffer };
  };

  it('decodes its SEND_MESSAGE_V2 header, numbers and booleans turned into strings', () => {
    const req = AliRemotingCommand.createRequestCommand(310, { a: 'PG', b: 'T', c: 'TBW102', d: 4, e: 0, f: 0, g: 1700000000000, h: 0, i: 'TAGS\u0001null\u0002', j: 0, k: false });
    req.body = Buffer.from('hello');
    const cmd = decodeCommand(req.encode());
    expect(cmd).toMatchObject({ code: 310, language: 'JAVA', version: 121, flag: 0, opaque: req.opaque });
    expect(cmd.extFields).toEqual({ a: 'PG', b: 'T', c: 'TBW102', d: '4', e: '0', f: '0', g: '1700000000000', h: '0', i: 'TAGS\u0001null\u0002', j: '0', k: 'false' });
    expect(cmd.body?.toString()).toBe('hello');
  });
});
