/**
 * Writes a new topology from a few answers (what `rmqctl init` asks): a commented YAML file that
 * passes validation. Placement: NameServers one per host (up to three; two on a single local
 * host for the replicated modes); group g's master on host g mod K and its slaves on the hosts
 * after it, so a slave never shares a machine with its master when there is more than one host;
 * ports counted up from the base ports per host, 10 apart (a broker takes port-2..port+1).
 */
import { Document, isMap, isSeq, type YAMLMap } from 'yaml';
import { modeShape } from './modes.js';
import type { ModeName, TopologyInput } from './schema.js';

export interface InitAnswers {
  cluster: string;
  mode: ModeName | { masters: number; slavesPerMaster: number; replication: 'sync' | 'async' };
  flush: 'sync' | 'async';
  target: 'local' | 'ssh';
  /** SSH host addresses (target ssh). */
  hosts: string[];
  sshUser: string;
  identityFile?: string;
  namesrvPort: number;
  brokerPort: number;
}

const BROKER_PORT_STEP = 10;

export function generateTopology(a: InitAnswers): string {
  const shape = modeShape(a.mode);
  const masters = shape.atLeast ? Math.max(shape.masters, 2) : shape.masters;
  const local = a.target === 'local';
  const hostNames = local ? ['local'] : a.hosts.map((_, i) => `mq${i + 1}`);
  const k = hostNames.length;

  const hosts: NonNullable<TopologyInput['hosts']> = local
    ? [{ name: 'local', transport: 'local' }]
    : a.hosts.map((address, i) => ({
        name: hostNames[i] ?? `mq${i + 1}`,
        address,
        ssh: { user: a.sshUser, ...(a.identityFile ? { identityFile: a.identityFile } : {}) },
      }));

  const nsCount = local ? (masters * (1 + shape.slavesPerMaster) > 1 ? 2 : 1) : Math.min(k, 3);
  const usedNsPorts = new Map<string, number>();
  const nameservers = Array.from({ length: nsCount }, (_, i) => {
    const host = hostNames[i % k] ?? 'local';
    const n = usedNsPorts.get(host) ?? 0;
    usedNsPorts.set(host, n + 1);
    return { host, port: a.namesrvPort + n };
  });

  const brokersOnHost = new Map<string, number>();
  const place = (hostIndex: number) => {
    const host = hostNames[hostIndex % k] ?? 'local';
    const n = brokersOnHost.get(host) ?? 0;
    brokersOnHost.set(host, n + 1);
    return { host, port: a.brokerPort + BROKER_PORT_STEP * n };
  };
  const brokers = Array.from({ length: masters }, (_, g) => ({
    name: `broker-${groupLetter(g)}`,
    master: place(g),
    slaves: Array.from({ length: shape.slavesPerMaster }, (_, j) => place(g + j + 1)),
  }));

  const topology: TopologyInput = {
    cluster: a.cluster,
    mode: a.mode,
    flush: a.flush,
    retention: { fileReservedTime: 48, deleteWhen: '04' },
    hosts,
    nameservers,
    brokers: brokers.map((b) => (b.slaves.length === 0 ? { name: b.name, master: b.master } : b)),
    overrides: { namesrv: { brokerExpiryMillis: 10000 } },
  };

  const doc = new Document(topology);
  doc.commentBefore =
    ` Topology of cluster ${a.cluster}, written by rmqctl init (mode ${shape.label}).\n` +
    ' Check it: rmqctl validate <file>; see what a deploy would do: rmqctl plan <file>.\n' +
    ' Every key is described in docs/guide/topologies.md of the rmqctl repository.';
  const comment = (key: string, text: string) => {
    const root = doc.contents as YAMLMap;
    const pair = root.items.find((p) => (p.key as { value?: unknown }).value === key);
    if (pair) (pair.key as { commentBefore?: string }).commentBefore = ` ${text}`;
  };
  comment('flush', 'async = ASYNC_FLUSH (ack before fsync), sync = SYNC_FLUSH');
  comment('hosts', local ? 'Everything on this machine, as local processes under the state directory.' : 'SSH hosts; host keys are checked against ~/.ssh/known_hosts.');
  comment('brokers', 'A broker takes three ports: port-2 (fast channel), port, and port+1 (HA).');
  comment('overrides', 'Any broker.properties / namesrv.properties key from the registry.');
  // Flow style for the small maps keeps the file short and readable.
  const root = doc.contents as YAMLMap;
  for (const key of ['nameservers', 'brokers']) {
    const seq = root.get(key, true);
    if (isSeq(seq)) {
      for (const item of seq.items) {
        if (!isMap(item)) continue;
        if (key === 'nameservers') item.flow = true;
        for (const p of item.items) if (isMap(p.value) || isSeq(p.value)) p.value.flow = true;
      }
    }
  }
  return doc.toString({ lineWidth: 0 });
}

function groupLetter(i: number): string {
  let s = '';
  let n = i;
  do {
    s = String.fromCharCode(97 + (n % 26)) + s;
    n = Math.floor(n / 26) - 1;
  } while (n >= 0);
  return s;
}
