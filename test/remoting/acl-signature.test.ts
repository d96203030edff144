/**
 * ACL 1.0 request signatures (src/remoting/acl-signature.ts). Expected values come from RFC 2202
 * (HMAC-SHA1 test vectors), arranged so the signed content of a request is exactly the RFC's
 * data; and from ali-ons 3.12 itself, whose signing must verify byte for byte.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { computeSignature, signatureContent, signRequest, verifySignature } from '../../src/remoting/acl-signature.js';
import { createRequest } from '../../src/remoting/command.js';
import { decodeCommand, encodeCommand } from '../../src/remoting/frame-codec.js';

// RFC 2202 §3 test case 2: key "Jefe", data "what do ya want for nothing?",
// HMAC-SHA1 = effcdf6ae5eb2fa2d27416d5f184df9c259a7c79 (hex) — the same bytes in base64:
const RFC2202_CASE2_B64 = Buffer.from('effcdf6ae5eb2fa2d27416d5f184df9c259a7c79', 'hex').toString('base64');

describe('signature content', () => {
  it('concatenates values in key order (upper case before lower case, as Java TreeMap), then the body', () => {
    const content = signatureContent({ b: '2', AccessKey: 'ak', a: '1', Z: 'z' }, Buffer.from('BODY'));
    expect(content.toString('utf8')).toBe('akz12BODY');
  });

  it('leaves out Signature and _UNIQUE_KEY_QUERY (PlainAccessResource.parse)', () => {
    const content = signatureContent({ AccessKey: 'ak', Signature: 'sig', _UNIQUE_KEY_QUERY: 'true', topic: 't' }, undefined);
    expect(content.toString('utf8')).toBe('akt');
  });

  it('is UTF-8 for non-ASCII values', () => {
    expect(signatureContent({ AccessKey: 'é' }, undefined)).toEqual(Buffer.from([0xc3, 0xa9]));
  });
});

describe('signature value', () => {
  it('is base64 HMAC-SHA1: RFC 2202 case 2 through the header fields', () => {
    const cmd = createRequest(105, { extFields: { b: 'want for nothing?' } });
    signRequest(cmd, { accessKey: 'what do ya ', secretKey: 'Jefe' });
    expect(cmd.extFields).toEqual({ b: 'want for nothing?', AccessKey: 'what do ya ', Signature: RFC2202_CASE2_B64 });
  });

  it('is base64 HMAC-SHA1: RFC 2202 case 2 with the body carrying the tail', () => {
    const cmd = createRequest(310, { body: Buffer.from('want for nothing?') });
    signRequest(cmd, { accessKey: 'what do ya ', secretKey: 'Jefe' });
    expect(cmd.extFields?.Signature).toBe(RFC2202_CASE2_B64);
    expect(computeSignature(Buffer.from('what do ya want for nothing?'), 'Jefe')).toBe(RFC2202_CASE2_B64);
  });

  it('verifies what it signs and nothing else', () => {
    const cmd = createRequest(310, { extFields: { a: 'g', b: 't' }, body: Buffer.from('hello') });
    signRequest(cmd, { accessKey: 'ak', secretKey: 'sk' });
    expect(verifySignature(cmd, 'sk')).toBe(true);
    expect(verifySignature(cmd, 'sk2')).toBe(false);
    expect(verifySignature({ ...cmd, body: Buffer.from('hellO') }, 'sk')).toBe(false);
    expect(verifySignature({ ...cmd, extFields: { ...cmd.extFields, b: 'u' } }, 'sk')).toBe(false);
    expect(verifySignature({ ...cmd, extFields: { ...cmd.extFields, AccessKey: 'other' } }, 'sk')).toBe(false);
    const { Signature: _s, ...unsigned } = cmd.extFields ?? {};
    expect(verifySignature({ ...cmd, extFields: unsigned }, 'sk')).toBe(false);
  });

  it('re-signing replaces an earlier signature', () => {
    const cmd = createRequest(105, { extFields: { topic: 't' } });
    signRequest(cmd, { accessKey: 'ak', secretKey: 'one' });
    signRequest(cmd, { accessKey: 'ak', secretKey: 'two' });
    expect(verifySignature(cmd, 'two')).toBe(true);
  });
});

describe('ali-ons 3.12 signing', () => {
  const require = createRequire(import.meta.url);
  const Channel = require('ali-ons/lib/channel.js');
  const AliCommand = require('ali-ons/lib/protocol/command/remoting_command.js');

  // ali-ons signs in Channel#beforeRequest; called here on a stand-in `this` holding the keys, so
  // no socket is needed. The frame it encodes is decoded by our codec and verified by our check.
  function aliSigned(code: number, header: Record<string, unknown>, body?: Buffer) {
    const cmd = AliCommand.createRequestCommand(code, header);
    if (body !== undefined) cmd.body = body;
    Channel.prototype.beforeRequest.call({ accessKey: 'ons-ak', secretKey: 'ons-sk', onsChannel: 'ALIYUN' }, cmd);
    return decodeCommand(cmd.encode());
  }

  it('a send with numbers, booleans and a body verifies with the secret', () => {
    const body = Buffer.from('payload ✓');
    const cmd = aliSigned(310, { a: 'pg', b: 'TopicA', c: 'TBW102', d: 4, e: 0, f: 0, g: 1700000000000, h: 0, i: 'TAGS\u0001x', j: 0, k: false, m: false }, body);
    expect(cmd.extFields?.AccessKey).toBe('ons-ak');
    expect(cmd.extFields?.OnsChannel).toBe('ALIYUN');
    expect(verifySignature(cmd, 'ons-sk')).toBe(true);
    expect(verifySignature(cmd, 'wrong')).toBe(false);
  });

  it('a route lookup without a body verifies; ours signs the same fields to the same value', () => {
    const cmd = aliSigned(105, { topic: 'TopicA' });
    expect(verifySignature(cmd, 'ons-sk')).toBe(true);
    const ours = createRequest(105, { extFields: { topic: 'TopicA', OnsChannel: 'ALIYUN' } });
    signRequest(ours, { accessKey: 'ons-ak', secretKey: 'ons-sk' });
    expect(ours.extFields?.Signature).toBe(cmd.extFields?.Signature);
    // and survives our own encoding
    expect(verifySignature(decodeCommand(encodeCommand(ours)), 'ons-sk')).toBe(true);
  });
});
