import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalTarget } from '../../../src/deploy/targets/local.js';
import { SshTarget } from '../../../src/deploy/targets/ssh.js';
import { TargetCommandError, type Target } from '../../../src/deploy/targets/target.js';
import { SshPool } from '../../../src/deploy/transport/pool.js';
import { testHosts } from '../../support/hosts.js';
import { tmpDir } from '../../support/tmp.js';

// One contract, two implementations: the executor must not care which target it drives.
const lab = testHosts({ count: 1, mode: 'netns' });

function contract(name: string, setup: () => Promise<{ target: Target; base: () => string }>) {
  describe(name, () => {
    let t: Target;
    let base: () => string;
    beforeAll(async () => {
      ({ target: t, base } = await setup());
    });

    it('exec passes argv through untouched and reports exit codes', async () => {
      const args = ["it's", 'a b', '$(id)', '*', ''];
      expect(await t.run(['printf', '%s|', ...args])).toBe(`${args.join('|')}|`);
      expect((await t.exec(['sh', '-c', 'echo oops >&2; exit 7'])).code).toBe(7);
      expect((await t.exec(['no-such-program-rmqt'])).code).toBe(127);
      await expect(t.run(['sh', '-c', 'echo broken >&2; exit 3'])).rejects.toThrow(TargetCommandError);
      await expect(t.run(['sh', '-c', 'echo broken >&2; exit 3'])).rejects.toThrow(new RegExp(`^${t.name}: .* exited 3:\nbroken$`));
    });

    it('writeFileAtomic sets content, mode and owner, leaving no temp file', async () => {
      const dir = `${base()}/w`;
      await t.mkdirp(dir);
      await t.writeFileAtomic(`${dir}/a.properties`, 'k=v\n', { mode: 0o640, owner: 'nobody', group: 'nogroup' });
      await t.writeFileAtomic(`${dir}/a.properties`, 'k=w\n', { mode: 0o640, owner: 'nobody', group: 'nogroup' });
      expect((await t.readFile(`${dir}/a.properties`))?.toString()).toBe('k=w\n');
      const st = await t.stat(`${dir}/a.properties`);
      expect(st).toMatchObject({ type: 'file', mode: 0o640, size: 4 });
      expect(st?.uid).toBe(Number((await t.run(['id', '-u', 'nobody'])).trim()));
      expect(st?.gid).toBe(Number((await t.run(['getent', 'group', 'nogroup'])).split(':')[2]));
      expect(await t.readdir(dir)).toEqual(['a.properties']);
      await expect(t.writeFileAtomic(`${dir}/b`, 'x', { owner: 'no-such-user-rmqt' })).rejects.toThrow(`${t.name}: no user named no-such-user-rmqt`);
    });

    it('mkdirp creates the missing path and applies mode to the leaf; refuses a file in the way', async () => {
      const b = base();
      const leaf = `${b}/m/a/b`;
      await t.mkdirp(leaf, { mode: 0o750 });
      await t.mkdirp(leaf, { mode: 0o750 }); // idempotent
      expect(await t.stat(leaf)).toMatchObject({ type: 'dir', mode: 0o750 });
      await t.writeFileAtomic(`${b}/m/file`, 'x');
      await expect(t.mkdirp(`${b}/m/file/sub`)).rejects.toThrow(/exists and is not a directory/);
    });

    it('switchSymlink replaces a link atomically and leaves nothing behind', async () => {
      const dir = `${base()}/s`;
      await t.mkdirp(`${dir}/releases/one`);
      await t.mkdirp(`${dir}/releases/two`);
      await t.switchSymlink(`${dir}/current`, 'releases/one');
      expect(await t.readlink(`${dir}/current`)).toBe('releases/one');
      await t.switchSymlink(`${dir}/current`, 'releases/two');
      expect(await t.readlink(`${dir}/current`)).toBe('releases/two');
      expect((await t.stat(`${dir}/current`))?.type).toBe('dir');
      expect(await t.readdir(dir)).toEqual(['current', 'releases']);
    });

    it('remove: file, tree, missing; readFile/stat/readdir/readlink of missing paths are undefined', async () => {
      const dir = `${base()}/r`;
      await t.mkdirp(`${dir}/tree/deep`);
      await t.writeFileAtomic(`${dir}/tree/deep/f`, 'x');
      await t.writeFileAtomic(`${dir}/f`, 'x');
      await t.remove(`${dir}/f`);
      await t.remove(`${dir}/tree`, { recursive: true });
      await t.remove(`${dir}/never-was`);
      expect(await t.readdir(dir)).toEqual([]);
      expect(await t.readFile(`${dir}/nope`)).toBeUndefined();
      expect(await t.stat(`${dir}/nope`)).toBeUndefined();
      expect(await t.readdir(`${dir}/nope`)).toBeUndefined();
      expect(await t.readlink(`${dir}/nope`)).toBeUndefined();
    });

    it('freeBytes answers for a path that does not exist yet (its file system)', async () => {
      expect(await t.freeBytes(`${base()}/not/yet/there`)).toBeGreaterThan(1024 * 1024);
    });
  });
}

contract('local target', async () => {
  const target = new LocalTarget('local');
  return { target, base: () => tmpDir() };
});

describe.skipIf(lab.skipReason)('ssh target (netns host, no systemd)', () => {
  let pool: SshPool;
  afterAll(() => pool?.closeAll());
  contract('contract', async () => {
    const h = lab.hosts[0]!;
    pool = new SshPool({ knownHostsFile: h.knownHostsFile, agent: false });
    const target = await SshTarget.open(h.name, { host: h.address, port: h.port, user: h.user, identityFiles: [h.identityFile] }, pool);
    return { target, base: () => `/var/tmp/rmqt-${randomBytes(4).toString('hex')}` };
  });
});
