/**
 * rmqctl's own credentials: from the environment or a profile file checked like ssh checks a key
 * file, never from a flag; used by every command that talks to the cluster.
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { findCredentials } from '../../src/settings/credentials.js';
import { ACL_YAML, ADMIN, PUBSUB } from '../support/acl.js';
import { rmqctl } from '../support/cli.js';
import { startCluster } from '../support/cluster.js';
import { tmpDir } from '../support/tmp.js';

function profileFile(dir: string, text: string, mode = 0o600): string {
  const file = path.join(dir, 'rmqctl', 'credentials');
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
  chmodSync(file, mode);
  return file;
}

describe('finding credentials', () => {
  it('takes both environment variables, or refuses one alone', () => {
    expect(findCredentials({ env: { RMQCTL_ACCESS_KEY: 'ak-123456', RMQCTL_SECRET_KEY: 'sk-123456' } })?.credentials).toEqual({ accessKey: 'ak-123456', secretKey: 'sk-123456' });
    expect(() => findCredentials({ env: { RMQCTL_ACCESS_KEY: 'ak-123456' } })).toThrow(/both RMQCTL_ACCESS_KEY and RMQCTL_SECRET_KEY.*RMQCTL_SECRET_KEY is empty/);
  });

  it('reads the profile file (default or RMQCTL_PROFILE), none when absent', () => {
    const dir = tmpDir();
    expect(findCredentials({ env: { XDG_CONFIG_HOME: dir } })).toBeUndefined();
    const file = profileFile(dir, '# rmqctl\n[default]\naccessKey = rmq-admin\nsecretKey = s3cret-value\n\n[prod]\naccessKey: prod-admin\nsecretKey: prod-s3cret\n');
    expect(findCredentials({ env: { XDG_CONFIG_HOME: dir } })).toEqual({ credentials: { accessKey: 'rmq-admin', secretKey: 's3cret-value' }, source: `${file} [default]` });
    expect(findCredentials({ env: { XDG_CONFIG_HOME: dir, RMQCTL_PROFILE: 'prod' } })?.credentials).toEqual({ accessKey: 'prod-admin', secretKey: 'prod-s3cret' });
    expect(() => findCredentials({ env: { XDG_CONFIG_HOME: dir, RMQCTL_PROFILE: 'nope' } })).toThrow(/cannot be used/);
  });

  it('refuses a file others may read or that belongs to someone else, like ssh', () => {
    const dir = tmpDir();
    const file = profileFile(dir, '[default]\naccessKey = a\nsecretKey = b\n', 0o644);
    expect(() => findCredentials({ env: { RMQCTL_CREDENTIALS_FILE: file } })).toThrow(/permissions 0644 .* are too open.*chmod 600/);
    chmodSync(file, 0o600);
    expect(() => findCredentials({ env: { RMQCTL_CREDENTIALS_FILE: file }, uid: 4242 })).toThrow(/belongs to uid 0, not to you \(uid 4242\)/);
  });

  it('names the line of a bad entry without showing values', () => {
    const dir = tmpDir();
    const file = profileFile(dir, '[default]\naccessKey = a\nsecret = hidden-value\nthis is not a line\n');
    let message = '';
    try {
      findCredentials({ env: { RMQCTL_CREDENTIALS_FILE: file } });
    } catch (e) {
      message = [(e as Error).message, ...((e as { problems?: string[] }).problems ?? [])].join('\n');
    }
    expect(message).toContain(`${file}:3  unknown key secret`);
    expect(message).toContain(`${file}:4  expected "key = value"`);
    expect(message).not.toContain('hidden-value');
  });
});

describe('rmqctl against an ACL cluster', () => {
  it('signs with the environment or the profile file; without credentials or admin rights topic create fails', async () => {
    const c = await startCluster({ acl: { yaml: ACL_YAML, nodeAccount: ADMIN } });
    const dir = tmpDir();
    const none = { RMQCTL_CREDENTIALS_FILE: path.join(dir, 'absent') };
    const create = (topic: string, env: NodeJS.ProcessEnv) => rmqctl(['topic', 'create', topic, '--cluster', 'DefaultCluster', '--namesrv', c.namesrvAddr], { env });

    const anon = await create('T1', none);
    expect(anon.code).toBe(1);
    expect(anon.stdout + anon.stderr).toMatch(/No accessKey is configured/);

    const user = await create('T1', { ...none, RMQCTL_ACCESS_KEY: PUBSUB.accessKey, RMQCTL_SECRET_KEY: PUBSUB.secretKey });
    expect(user.code).toBe(1);
    expect(user.stdout + user.stderr).toMatch(/Need admin permission for request code=17/);

    const byEnv = await create('T1', { ...none, RMQCTL_ACCESS_KEY: ADMIN.accessKey, RMQCTL_SECRET_KEY: ADMIN.secretKey });
    expect(byEnv.code, byEnv.stderr).toBe(0);

    profileFile(dir, `[default]\naccessKey = ${ADMIN.accessKey}\nsecretKey = ${ADMIN.secretKey}\n`);
    const byFile = await create('T2', { XDG_CONFIG_HOME: dir });
    expect(byFile.code, byFile.stderr).toBe(0);
    const described = await rmqctl(['topic', 'describe', 'T2', '--namesrv', c.namesrvAddr, '--json'], { env: { XDG_CONFIG_HOME: dir } });
    expect(described.code, described.stderr).toBe(0);
    for (const r of [anon, user, byEnv, byFile, described]) expect(r.stdout + r.stderr).not.toContain(ADMIN.secretKey);
  });
});
