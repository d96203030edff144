/**
 * The runtime evaluates only the code its role and configuration use (src/runtime/main.ts,
 * loadOptionalParts in src/broker/broker.ts). Seen from outside by the Node built-ins a process
 * loaded: grpc-js (the v5 endpoint, and etcd3 under automatic failover) loads `http2` when it is
 * evaluated, and nothing else in the runtime does.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runtimeBundle } from '../../src/paths.js';
import { freeBrokerPort, freeListenPort, freePort } from '../support/ports.js';
import { tmpDir } from '../support/tmp.js';
import { waitFor } from '../support/wait.js';

const portOpen = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1' }, () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });

/** Starts `rmqd ROLE -c FILE`, waits until `port` accepts, stops it (SIGTERM), returns the built-ins it had loaded. */
async function builtinsLoaded(dir: string, role: 'namesrv' | 'broker', properties: string, port: number): Promise<string[]> {
  const file = path.join(dir, `${role}.properties`);
  fs.writeFileSync(file, properties);
  const preload = path.join(dir, 'module-list.cjs');
  const out = path.join(dir, `${role}-modules.txt`);
  // written at exit, after the graceful stop: everything the process ever loaded
  fs.writeFileSync(preload, `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(out)}, process.moduleLoadList.join('\\n')));\n`);
  const proc = spawn(process.execPath, ['--require', preload, runtimeBundle, role, '-c', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  proc.stdout.on('data', (d: Buffer) => (log += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (log += d.toString()));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  try {
    await waitFor(async () => proc.exitCode === null && (await portOpen(port)), { timeout: 20_000, what: `rmqd ${role} listening on ${port}` }).catch((e: Error) => {
      throw new Error(`${e.message}; its output: ${log}`);
    });
  } finally {
    proc.kill('SIGTERM');
    await exited;
  }
  return fs.readFileSync(out, 'utf8').split('\n');
}

describe('rmqd evaluates what its role and configuration use', () => {
  it('a NameServer and a broker without gRPC or failover never load http2; the same broker with a gRPC port does', { timeout: 90_000 }, async () => {
    const dir = tmpDir('rmq-lazy-roles-');
    const nsPort = await freePort();
    const namesrv = await builtinsLoaded(dir, 'namesrv', `listenPort=${nsPort}\nkvConfigPath=${dir}/kv.json\n`, nsPort);
    expect(namesrv).toContain('NativeModule net');
    expect(namesrv).not.toContain('NativeModule http2');

    const port = await freeBrokerPort();
    const broker = `brokerName=b\nbrokerIP1=127.0.0.1\nlistenPort=${port}\nstorePathRootDir=${dir}/store\nnamesrvAddr=127.0.0.1:${nsPort}\n`;
    expect(await builtinsLoaded(dir, 'broker', broker, port)).not.toContain('NativeModule http2');

    const grpcPort = await freeListenPort();
    const withGrpc = await builtinsLoaded(dir, 'broker', `${broker}grpcServerPort=${grpcPort}\n`, grpcPort);
    expect(withGrpc).toContain('NativeModule http2');
  });
});
