/** Finding 9 of #21: `rmqctl help` was missing and typos got no "did you mean". */
import { describe, expect, it } from 'vitest';
import { suggestCommand } from '../../src/commands/support/not-found.js';
import { rmqctl } from '../support/cli.js';

describe('rmqctl help and mistyped commands', () => {
  it('`rmqctl help` lists the commands; `rmqctl help topic create` shows that command', async () => {
    const all = await rmqctl(['help']);
    expect(all.code).toBe(0);
    expect(all.stdout).toMatch(/USAGE\n {2}\$ rmqctl \[COMMAND\]/);
    expect(all.stdout).toMatch(/\n {2}deploy +Deploy a cluster/);
    const one = await rmqctl(['help', 'topic', 'create']);
    expect(one.code).toBe(0);
    expect(one.stdout).toMatch(/\$ rmqctl topic create TOPIC/);
  });

  it('a typo gets "did you mean" with the whole command line, and exit 2 (usage)', async () => {
    const r = await rmqctl(['topic', 'craete', 'Foo']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('rmqctl: "topic craete" is not a command.\nDid you mean "topic create"?  rmqctl topic create Foo\nRun "rmqctl help topic" for the commands.\n');
    const s = await rmqctl(['statsu']);
    expect(s.code).toBe(2);
    expect(s.stderr).toContain('Did you mean "status"?');
    const none = await rmqctl(['frobnicate']);
    expect(none.code).toBe(2);
    expect(none.stderr).toBe('rmqctl: "frobnicate" is not a command.\nRun "rmqctl help" for the commands.\n');
  });

  it('suggestCommand tries every leading run of words', () => {
    const ids = ['topic:create', 'topic:delete', 'message:send', 'status', 'deploy'];
    expect(suggestCommand('topic:craete:Foo', ids)).toEqual({ id: 'topic:create', rest: ['Foo'] });
    expect(suggestCommand('messge:snd:T:body', ids)).toEqual({ id: 'message:send', rest: ['T', 'body'] });
    expect(suggestCommand('deplyo', ids)).toEqual({ id: 'deploy', rest: [] });
    expect(suggestCommand('xyzzy', ids)).toBeUndefined();
  });
});
