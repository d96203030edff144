/**
 * JsonHeaderTemplate (src/remoting/header-template.ts) writes exactly what encodeJsonHeader
 * writes for the shape it was made for, and steps aside (undefined: the generic encoder runs)
 * for anything else.
 */
import { describe, expect, it } from 'vitest';
import { createResponse, createRequest, type RemotingCommand } from '../../src/remoting/command.js';
import { decodeCommand, encodeCommand } from '../../src/remoting/frame-codec.js';
import { JsonHeaderTemplate } from '../../src/remoting/header-template.js';
import { encodeJsonHeader } from '../../src/remoting/json-header.js';

const KEYS = ['msgId', 'queueId', 'queueOffset', 'MSG_REGION', 'TRACE_ON'];
const t = new JsonHeaderTemplate(KEYS);
const reply = (ext: Record<string, string>, over: Partial<RemotingCommand> = {}): RemotingCommand => ({ ...createResponse({ ...createRequest(310), opaque: 77 }, 0, { extFields: ext }), ...over });
const sendOk = (i: number) => ({ msgId: `7F00000100002A9F${i.toString(16).toUpperCase().padStart(16, '0')}`, queueId: String(i % 8), queueOffset: String(i * 1_000_003), MSG_REGION: 'DefaultRegion', TRACE_ON: 'true' });

describe('JsonHeaderTemplate', () => {
  it('writes the SEND_OK reply byte for byte as encodeJsonHeader does', () => {
    for (const i of [0, 1, 255, 65_535, 2 ** 31 - 1]) {
      for (const over of [{}, { opaque: -5 }, { code: 10, flag: 3, version: 0 }, { language: 'GO' }]) {
        const cmd = reply(sendOk(i), over);
        expect(t.json(cmd)).toBe(encodeJsonHeader(cmd));
      }
    }
  });

  it('a batch reply (comma-joined msgIds) fits too', () => {
    const cmd = reply({ ...sendOk(3), msgId: 'AA,BB,CC' });
    expect(t.json(cmd)).toBe(encodeJsonHeader(cmd));
  });

  it.each([
    ['a remark', reply(sendOk(1), { remark: 'FLUSH_DISK_TIMEOUT' })],
    ['a value JSON escapes (quote)', reply({ ...sendOk(1), msgId: 'a"b' })],
    ['a value JSON escapes (backslash)', reply({ ...sendOk(1), queueId: '\\' })],
    ['a control character', reply({ ...sendOk(1), MSG_REGION: 'x\u0001' })],
    ['non-ASCII', reply({ ...sendOk(1), MSG_REGION: 'région' })],
    ['a missing key', reply({ msgId: 'A', queueId: '1', queueOffset: '2', MSG_REGION: 'R' })],
    ['an extra key', reply({ ...sendOk(1), extra: 'x' })],
    ['no extFields', reply(sendOk(1), { extFields: undefined })],
    ['a language JSON escapes', reply(sendOk(1), { language: 'J"' })],
  ])('steps aside for %s; the frame is still right', (_what, cmd) => {
    expect(t.json(cmd)).toBeUndefined();
    const back = decodeCommand(encodeCommand({ ...cmd, jsonTemplate: t }));
    expect(back.extFields).toEqual(cmd.extFields);
    expect(back.remark).toBe(cmd.remark);
  });

  it('FrameWriter uses it: the frame equals the generic one', () => {
    const cmd = reply(sendOk(42));
    expect(encodeCommand({ ...cmd, jsonTemplate: t })).toEqual(encodeCommand(cmd));
  });

  it('refuses keys it could not write plainly', () => {
    expect(() => new JsonHeaderTemplate([])).toThrow(/at least one/);
    expect(() => new JsonHeaderTemplate(['a"'])).toThrow(/plain ASCII/);
  });
});
