/**
 * Golden bytes of the producer's SEND_MESSAGE_V2 request. The extFields are the real Java 4.x wire
 * sample quoted in docs/design/protocol.md#send (`{"a":"yyzGroup2","b":"yyztest2","c":"TBW102","d":"4",
 * "e":"0","f":"0","g":"1491978653614","h":"0","i":"TAGS\u0001TAG\u0002WAIT\u0001true\u0002KEYS\u0001ffff\u0002",
 * "j":"0","k":"false"}`); the rest of the header is RemotingCommand as fastjson writes it
 * (docs/design/protocol.md#json-header: fields alphabetical, code 310, flag 0, our version 409 =
 * V4_9_8); the frame is docs/design/protocol.md#frames:
 * length | JSON type + header length | header | body.
 */
import { describe, expect, it } from 'vitest';
import { sendRequest } from '../../src/client/send-request.js';
import { encodeCommand } from '../../src/remoting/frame-codec.js';

describe('SEND_MESSAGE_V2 request', () => {
  it('encodes byte for byte as the Java client sample', () => {
    const cmd = sendRequest({
      producerGroup: 'yyzGroup2',
      topic: 'yyztest2',
      defaultTopicQueueNums: '4',
      queueId: 0,
      sysFlag: 0,
      bornTimestamp: 1491978653614,
      flag: 0,
      properties: 'TAGS\u0001TAG\u0002WAIT\u0001true\u0002KEYS\u0001ffff\u0002',
      batch: false,
      body: Buffer.from('hello'),
    });
    cmd.opaque = 7;
    const header =
      '{"code":310,"extFields":{"a":"yyzGroup2","b":"yyztest2","c":"TBW102","d":"4","e":"0","f":"0","g":"1491978653614","h":"0",' +
      '"i":"TAGS\\u0001TAG\\u0002WAIT\\u0001true\\u0002KEYS\\u0001ffff\\u0002","j":"0","k":"false"},' +
      '"flag":0,"language":"JAVA","opaque":7,"serializeTypeCurrentRPC":"JSON","version":409}';
    const h = Buffer.from(header, 'utf8');
    const expected = Buffer.alloc(8 + h.length + 5);
    expected.writeUInt32BE(4 + h.length + 5, 0);
    expected.writeUInt32BE(h.length, 4); // high byte 0 = JSON
    h.copy(expected, 8);
    expected.write('hello', 8 + h.length);
    expect(encodeCommand(cmd).toString('hex')).toBe(expected.toString('hex'));
  });

  it('a batch goes as SEND_BATCH_MESSAGE (320) with m=true', () => {
    const cmd = sendRequest({ producerGroup: 'g', topic: 't', defaultTopicQueueNums: '4', queueId: 1, sysFlag: 0, bornTimestamp: 1, flag: 0, properties: '', batch: true, body: Buffer.alloc(0) });
    expect(cmd.code).toBe(320);
    expect(cmd.extFields?.m).toBe('true');
  });
});
