/**
 * The broker's ioThreads setting: the key, the `--io-threads` flag over it, the default from the
 * core count, and more than one network thread refused with the reason — by the real rmqd too.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { IO_THREAD_MIN_CORES, resolveIoThreads } from '../../src/broker/broker-properties.js';
import { parseRoleArgs } from '../../src/runtime/args.js';
import { rmqd } from '../support/cli.js';

describe('ioThreads', () => {
  it('unset: 1 from IO_THREAD_MIN_CORES cores on, else 0; 0 and 1 as given; more refused, saying why', () => {
    expect(resolveIoThreads(null, 'f  ioThreads', IO_THREAD_MIN_CORES)).toBe(1);
    expect(resolveIoThreads(null, 'f  ioThreads', IO_THREAD_MIN_CORES - 1)).toBe(0);
    expect(resolveIoThreads(0, 'f  ioThreads', 64)).toBe(0);
    expect(resolveIoThreads(1, 'f  ioThreads', 1)).toBe(1);
    let err: unknown;
    try {
      resolveIoThreads(4, 'broker.properties  ioThreads', 8);
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ message: 'broker.properties  ioThreads: 4 network threads asked for, at most 1 is possible' });
    expect((err as { problems: string[] }).problems[0]).toMatch(/SO_REUSEPORT \(Node >= 22\.12\).*0 or 1/);
  });

  it('rmqd broker takes --io-threads N (and --io-threads=N); a bad value or the flag on the NameServer is a usage error', () => {
    expect(parseRoleArgs('broker', ['-c', 'b.properties', '--io-threads', '1'])).toEqual({ configFile: 'b.properties', ioThreads: 1 });
    expect(parseRoleArgs('broker', ['--io-threads=0', '-c', 'b.properties'])).toEqual({ configFile: 'b.properties', ioThreads: 0 });
    expect(parseRoleArgs('broker', ['-c', 'b.properties'])).toEqual({ configFile: 'b.properties' });
    expect(() => parseRoleArgs('broker', ['-c', 'b.properties', '--io-threads', 'many'])).toThrow(/--io-threads needs a number of threads \(0 or 1\), got "many"/);
    expect(() => parseRoleArgs('broker', ['-c', 'b.properties', '--io-threads'])).toThrow(/--io-threads needs a number/);
    expect(() => parseRoleArgs('namesrv', ['-c', 'n.properties', '--io-threads', '1'])).toThrow(/unknown argument "--io-threads"/);
  });

  it('the real broker refuses ioThreads=2 in its file and --io-threads 3, naming the setting and why', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rmq-io-threads-'));
    onTestFinished(() => fs.rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'broker.properties');
    fs.writeFileSync(file, `brokerName=b\nbrokerIP1=127.0.0.1\nlistenPort=10911\nstorePathRootDir=${dir}/store\nnamesrvAddr=127.0.0.1:1\nioThreads=2\n`);
    const r = await rmqd(['broker', '-c', file], { timeout: 20_000 });
    expect(r.code).toBe(2);
    expect(r.stdout + r.stderr).toContain(`${file}  ioThreads: 2 network threads asked for, at most 1 is possible`);
    expect(r.stdout + r.stderr).toMatch(/SO_REUSEPORT/);
    fs.writeFileSync(file, `brokerName=b\nbrokerIP1=127.0.0.1\nlistenPort=10911\nstorePathRootDir=${dir}/store\nnamesrvAddr=127.0.0.1:1\n`);
    const r2 = await rmqd(['broker', '-c', file, '--io-threads', '3'], { timeout: 20_000 });
    expect(r2.code).toBe(2);
    expect(r2.stdout + r2.stderr).toContain('--io-threads: 3 network threads asked for, at most 1 is possible');
  });
});
