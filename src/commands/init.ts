import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { Flags } from '@oclif/core';
import { input, select } from '@inquirer/prompts';
import { InvalidInputError } from '../errors.js';
import { generateTopology, type InitAnswers } from '../topology/generate.js';
import { parseTopology } from '../topology/load.js';
import { MODE_NAMES, type ModeName } from '../topology/schema.js';
import { isHostAddress } from '../util/config-registry.js';
import { RmqCommand } from './support/base.js';
import { listeningTcpPorts } from '../util/listening-ports.js';

const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;
const portCheck = (v: string) => (/^\d+$/.test(v) && Number(v) >= 1024 && Number(v) <= 65535 ? true : 'expected a port number 1024-65535');

export default class Init extends RmqCommand {
  static override summary = 'Write a new topology file: mode, hosts, ports (asks, or takes flags).';
  static override description =
    'Asks for what it needs on a terminal; every question is also a flag, and with --yes (or without a terminal) the ' +
    'flags and defaults are used without asking. The file is validated before it is written; an existing file is ' +
    'kept unless --force.';
  static override examples = [
    '<%= config.bin %> init',
    '<%= config.bin %> init --yes --cluster orders --mode 2m-2s-sync --out orders.yaml',
    '<%= config.bin %> init --yes --cluster orders --mode 2m-2s-async --target ssh --host 10.0.0.11 --host 10.0.0.12 --ssh-user deploy',
    '<%= config.bin %> init --yes --mode custom --masters 3 --slaves-per-master 2 --replication sync',
  ];
  static override flags = {
    cluster: Flags.string({ description: 'cluster name (brokerClusterName) [default: rmq]' }),
    mode: Flags.string({ description: 'cluster mode [default: 2m-2s-sync]', options: [...MODE_NAMES, 'custom'] }),
    masters: Flags.integer({ description: 'custom mode: broker groups', min: 1, max: 26 }),
    'slaves-per-master': Flags.integer({ description: 'custom mode: slaves per group', min: 0, max: 4 }),
    replication: Flags.string({ description: 'custom mode: replication', options: ['sync', 'async'] }),
    flush: Flags.string({ description: 'flush mode [default: async]', options: ['sync', 'async'] }),
    target: Flags.string({ description: 'where the cluster runs: this machine or SSH hosts [default: local]', options: ['local', 'ssh'] }),
    host: Flags.string({ description: 'SSH host address (repeat for each host)', multiple: true }),
    'ssh-user': Flags.string({ description: 'SSH user [default: root]' }),
    'identity-file': Flags.string({ description: 'SSH private key [default: agent, ~/.ssh/id_ed25519, id_rsa]' }),
    'namesrv-port': Flags.integer({ description: 'first NameServer port [default: 9876]', min: 1024, max: 65535 }),
    'broker-port': Flags.integer({ description: 'first broker listen port [default: 10911]', min: 1026, max: 65534 }),
    out: Flags.string({ char: 'o', description: 'file to write [default: <cluster>.yaml]', helpValue: 'FILE' }),
    force: Flags.boolean({ description: 'overwrite an existing file' }),
    yes: Flags.boolean({ char: 'y', description: 'do not ask: use the flags and defaults' }),
  };

  async run(): Promise<{ file: string }> {
    const { flags } = await this.parse(Init);
    const ask = Boolean(process.stdin.isTTY) && !flags.yes;
    // A value from its flag, else a prompt when asking, else the default.
    const answer = async <T>(given: T | undefined, prompt: () => Promise<T>, fallback: T): Promise<T> => (given !== undefined ? given : ask ? prompt() : fallback);

    const modeName = await answer<string>(
      flags.mode,
      () => select({ message: 'Cluster mode', choices: [...MODE_NAMES, 'custom'].map((m) => ({ value: m, name: m })), default: '2m-2s-sync' }),
      '2m-2s-sync',
    );
    let mode: InitAnswers['mode'];
    if (modeName === 'custom') {
      const masters = await answer(flags.masters, async () => Number(await input({ message: 'Broker groups (masters)', default: '3', validate: (v) => (/^[1-9]\d?$/.test(v) ? true : 'expected 1-26') })), 3);
      const slavesPerMaster = await answer(flags['slaves-per-master'], async () => Number(await input({ message: 'Slaves per master', default: '1', validate: (v) => (/^[0-4]$/.test(v) ? true : 'expected 0-4') })), 1);
      const replication = slavesPerMaster === 0 ? 'async' : await answer(flags.replication, () => select({ message: 'Replication', choices: [{ value: 'sync' }, { value: 'async' }] }), 'sync');
      mode = { masters, slavesPerMaster, replication: replication as 'sync' | 'async' };
    } else {
      if (flags.masters !== undefined || flags['slaves-per-master'] !== undefined || flags.replication !== undefined) {
        throw new InvalidInputError(`--masters, --slaves-per-master and --replication go with --mode custom (mode ${modeName} fixes them)`);
      }
      mode = modeName as ModeName;
    }
    const cluster = await answer(flags.cluster, () => input({ message: 'Cluster name', default: 'rmq', validate: (v) => (NAME.test(v) ? true : 'expected letters, digits, - and _') }), 'rmq');
    const target = await answer<string>(flags.target, () => select({ message: 'Run it on', choices: [{ value: 'local', name: 'this machine (local processes)' }, { value: 'ssh', name: 'SSH hosts (systemd units)' }] }), 'local');
    let hosts: string[] = [];
    let sshUser = 'root';
    let identityFile: string | undefined;
    if (target === 'ssh') {
      hosts = await answer(
        flags.host,
        async () => (await input({ message: 'Host addresses, comma-separated', validate: (v) => (splitHosts(v).length > 0 && splitHosts(v).every(isHostAddress) ? true : 'expected IPv4 addresses or DNS names') })).split(',').map((s) => s.trim()).filter(Boolean),
        [],
      );
      if (hosts.length === 0) throw new InvalidInputError('--target ssh needs at least one --host ADDRESS');
      sshUser = await answer(flags['ssh-user'], () => input({ message: 'SSH user', default: 'root' }), 'root');
      identityFile = await answer<string | undefined>(flags['identity-file'], async () => (await input({ message: 'SSH private key (empty: agent / default keys)' })) || undefined, undefined);
    } else if (flags.host || flags['ssh-user'] || flags['identity-file']) {
      throw new InvalidInputError('--host, --ssh-user and --identity-file go with --target ssh');
    }
    const namesrvPort = await answer(flags['namesrv-port'], async () => Number(await input({ message: 'First NameServer port', default: '9876', validate: portCheck })), 9876);
    const brokerPort = await answer(flags['broker-port'], async () => Number(await input({ message: 'First broker port', default: '10911', validate: portCheck })), 10911);
    const flush = await answer<string>(flags.flush, () => select({ message: 'Flush', choices: [{ value: 'async', name: 'async (ack before fsync)' }, { value: 'sync', name: 'sync (ack after fsync)' }] }), 'async');
    const out = await answer(flags.out, () => input({ message: 'Write to', default: `${cluster}.yaml` }), `${cluster}.yaml`);

    const answers = { cluster, mode, flush: flush as 'sync' | 'async', target: target as 'local' | 'ssh', hosts, sshUser, identityFile, namesrvPort, brokerPort };
    // on this machine: keep off ports a running cluster (or anything else) listens on
    const taken = target === 'local' ? listeningTcpPorts() : new Set<number>();
    const text = generateTopology({ ...answers, portTaken: (p) => taken.has(p) });
    const skipped = [...portsOf(generateTopology(answers))].filter((p) => taken.has(p)).sort((x, y) => x - y);
    if (skipped.length) this.log(`ports in use on this machine were left out: ${skipped.join(', ')} (see what holds them: rmqctl plan <its topology>, or ss -tlnp)`);
    parseTopology(text, out); // every problem at once, before anything is written
    if (existsSync(out) && !flags.force) throw new InvalidInputError(`${out} exists (expected a new file, or --force to overwrite it)`);
    await writeFile(out, text, { flag: flags.force ? 'w' : 'wx' });
    this.log(`wrote ${out}: cluster ${cluster}. Next: rmqctl plan ${out}`);
    return { file: out };
  }
}

/** Every port a generated topology's nodes take (a broker: port-2, port, port+1). */
function portsOf(text: string): Set<number> {
  const t = parseTopology(text, 'generated').topology;
  const out = new Set<number>(t.nameservers.map((n) => n.port));
  for (const g of t.brokers) for (const b of [g.master, ...g.slaves]) for (const p of [b.port - 2, b.port, b.port + 1]) out.add(p);
  return out;
}

function splitHosts(v: string): string[] {
  return v.split(',').map((s) => s.trim()).filter(Boolean);
}
