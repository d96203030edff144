import { describe, expect, it } from 'vitest';
import { rmqctl, rmqd } from '../support/cli.js';

describe('bins', () => {
  it('rmqctl --help lists the CLI and exits 0', async () => {
    const r = await rmqctl(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/rmqctl/);
  });

  it('rmqd without a role prints usage and exits 2', async () => {
    const r = await rmqd([]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/usage: rmqd namesrv/);
  });
});
