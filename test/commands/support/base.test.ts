/**
 * The error contract every command shares (src/commands/support/base.ts): exit 1 for a failure, 2 for
 * invalid input or usage, and with --json one `{ error }` object on stdout — a script reading
 * stdout always gets JSON, whatever went wrong.
 */
import { describe, expect, it } from 'vitest';
import { rmqctl } from '../../support/cli.js';
import { freePort } from '../../support/ports.js';

interface ErrorJson {
  error: { name: string; message: string; exitCode: number; problems?: unknown[] };
}

describe('rmqctl error reporting', () => {
  it('a failure (no NameServer answers) is exit 1, with --json an error object on stdout', async () => {
    const addr = `127.0.0.1:${await freePort()}`;
    const text = await rmqctl(['topic', 'route', 'Orders', '--namesrv', addr]);
    expect(text.code).toBe(1);
    expect(text.stdout).toBe('');
    expect(text.stderr).toContain(`no NameServer answered: ${addr}`);

    const json = await rmqctl(['topic', 'route', 'Orders', '--namesrv', addr, '--json']);
    expect(json.code).toBe(1);
    const out = JSON.parse(json.stdout) as ErrorJson;
    expect(out.error.exitCode).toBe(1);
    expect(out.error.message).toContain(`no NameServer answered: ${addr}`);
  });

  it('a usage error is exit 2, with --json an error object naming the flag', async () => {
    const text = await rmqctl(['status', '--no-such-flag']);
    expect(text.code).toBe(2);
    expect(text.stderr).toContain('Nonexistent flag: --no-such-flag');

    const json = await rmqctl(['status', '--no-such-flag', '--json']);
    expect(json.code).toBe(2);
    const out = JSON.parse(json.stdout) as ErrorJson;
    expect(out.error).toMatchObject({ exitCode: 2 });
    expect(out.error.message).toContain('Nonexistent flag: --no-such-flag');
  });

  it('invalid input is exit 2 with its problems as data; under plan --detailed-exitcode it is 1 (2 means changes there)', async () => {
    const json = await rmqctl(['plan', 'no-such-topology.yaml', '--json']);
    expect(json.code).toBe(2);
    expect((JSON.parse(json.stdout) as ErrorJson).error).toMatchObject({ name: 'InvalidInputError', exitCode: 2, problems: [] });

    const detailed = await rmqctl(['plan', 'no-such-topology.yaml', '--json', '--detailed-exitcode']);
    expect(detailed.code).toBe(1);
    expect((JSON.parse(detailed.stdout) as ErrorJson).error.exitCode).toBe(1);
  });
});
