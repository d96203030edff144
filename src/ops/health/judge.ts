/**
 * The one health judge: `rmqctl status` (with or without a topology), deploy's gates and
 * start/restart/rollback all decide with this. Pure: facts in (facts.ts gathers them), report out.
 *
 * A node is healthy only if
 *  - its process runs (when its supervisor could be asked: a topology's nodes),
 *  - it answers the protocol where this machine reaches it, and it is the process its supervisor
 *    started (not a stale one holding the port),
 *  - a broker is registered on every reachable NameServer with its cluster, group and id at its
 *    advertised address, and that address answers from here,
 *  - a master accepts writes (write permission, store writable, disk below the level at which the
 *    broker refuses puts),
 *  - a slave replicates from its master within a lag bound, and in a SYNC group its master counts
 *    it in sync; a SYNC master has the in-sync slaves its sends wait for.
 * Every problem says what is wrong and what to run. Without a topology the NameServers say what
 * exists: a group whose master is gone, or a broker some NameServers lack, is a problem too.
 */
import type { NameServerProbe } from '../../client/admin.js';
import type { HaConnectionInfo, HaRuntimeInfo } from '../../protocol/ha-runtime-info.js';
import { registrationProblem } from './registration.js';
import { replicationProblem } from './replication.js';
import type {
  BrokerFacts,
  BrokerNodeStatus,
  ClusterFacts,
  Expectation,
  ExpectedBroker,
  HealthReport,
  NameServerStatus,
  NodeProblem,
  NodeReplication,
  ProcessState,
} from './report.js';

export interface JudgeOptions {
  /** Largest tolerated slave lag in bytes (default 8 MiB). */
  maxSlaveLagBytes?: number;
}

export const DEFAULT_MAX_SLAVE_LAG_BYTES = 8 * 1024 * 1024;
/** RocketMQ's diskSpaceWarningLevelRatio default (percent): above it a broker refuses puts. */
const DEFAULT_DISK_WARNING_PERCENT = 90;
/** Tolerance between the supervisor's start time and the runtime's own boot time (clock ticks, rounding). */
const BOOT_SLACK_MS = 2_000;
const PERM_WRITE = 0x2;

const nodeKey = (cluster: string, brokerName: string, brokerId: number) => `${cluster}\u0000${brokerName}\u0000${brokerId}`;
const minDefined = (a: number | undefined, b: number | undefined) => (a === undefined ? b : b === undefined ? a : Math.min(a, b));
/** Strips an IPv4-mapped IPv6 prefix so both sides of one socket print the same. */
const sameSocket = (a: string | undefined, b: string): boolean => a !== undefined && a.replace(/^::ffff:/, '') === b.replace(/^::ffff:/, '');
const shellWord = (s: string) => (/^[\w./:@%+=,~-]+$/.test(s) ? s : `'${s.replace(/'/g, "'\\''")}'`);

/** The commands a problem suggests, for a topology named `ref` (or a placeholder without one). */
export function commandsFor(ref: string | undefined) {
  const t = ref === undefined ? '<topology>' : shellWord(ref);
  return {
    start: (id: string) => `run \`rmqctl start ${t} --node ${id}\``,
    restart: (id: string) => `\`rmqctl restart ${t} --node ${id}\``,
    logs: (id: string) => `\`rmqctl logs ${t} ${id}\``,
  };
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type WorkNode = Mutable<BrokerNodeStatus> & { cluster: string; expectation?: ExpectedBroker; askAt?: string };

export function judge(facts: ClusterFacts, expected: Expectation = { nameservers: [], brokers: [] }, opts: JudgeOptions = {}): HealthReport {
  const cmd = commandsFor(expected.topology);
  const problems: string[] = [];
  const warnings: string[] = [];
  const processOf = (id: string | undefined): ProcessState | undefined => {
    const p = id === undefined ? undefined : facts.processes.get(id);
    return p === undefined || 'error' in p ? undefined : p;
  };
  for (const [id, p] of facts.processes) if ('error' in p) warnings.push(`${id}: its supervisor could not be asked whether it runs: ${p.error}`);

  // ── NameServers ─────────────────────────────────────────────────────────────────────────────
  const nsByAddr = new Map(expected.nameservers.map((n) => [n.addr, n]));
  const nameservers: NameServerStatus[] = facts.probes.map((p) => {
    const e = nsByAddr.get(p.addr);
    const reachable = p.reachable && p.error === undefined;
    const s: NameServerStatus = { addr: p.addr, reachable, healthy: true, problems: [] };
    if (e !== undefined) s.id = e.id;
    if (p.error !== undefined) s.error = p.error;
    if (p.latencyMillis !== undefined) s.latencyMillis = p.latencyMillis;
    if (p.clusterInfo !== undefined) s.brokerCount = Object.values(p.clusterInfo.brokerAddrTable).reduce((n, b) => n + Object.keys(b.brokerAddrs).length, 0);
    const proc = processOf(e?.id);
    if (proc !== undefined) {
      s.process = proc;
      if (proc.pid !== undefined) s.pid = proc.pid;
    }
    const id = e?.id ?? p.addr;
    if (proc !== undefined && !proc.running) s.problems.push(notRunning(proc, id, cmd));
    else if (!reachable) {
      s.problems.push({
        check: 'protocol',
        message: `does not answer at ${p.addr}: ${p.error ?? 'unreachable'}`,
        fix: e ? `check its log: ${cmd.logs(e.id)}; restart it with ${cmd.restart(e.id)}` : 'check that it runs and that this machine can reach it',
      });
    }
    s.healthy = s.problems.length === 0;
    for (const pr of s.problems) problems.push(sentence(e ? `${e.id} (NameServer ${p.addr})` : `NameServer ${p.addr}`, pr));
    return s;
  });
  for (const n of expected.nameservers) if (!facts.probes.some((p) => p.addr === n.addr)) warnings.push(`NameServer ${n.id} ${n.addr} (from the topology) was not asked`);
  const up = facts.probes.filter((p): p is NameServerProbe & { clusterInfo: NonNullable<NameServerProbe['clusterInfo']> } => p.clusterInfo !== undefined);
  const nsName = (addr: string) => (nsByAddr.get(addr) ? `${nsByAddr.get(addr)?.id} (${addr})` : addr);

  // ── broker nodes: what the NameServers know, then what the topology expects ────────────────
  const nodes = new Map<string, WorkNode>();
  for (const p of up) {
    for (const b of Object.values(p.clusterInfo.brokerAddrTable)) {
      for (const [idText, addr] of Object.entries(b.brokerAddrs)) {
        const brokerId = Number(idText);
        const key = nodeKey(b.cluster, b.brokerName, brokerId);
        let n = nodes.get(key);
        if (n === undefined) {
          n = { cluster: b.cluster, id: `${b.brokerName}-${brokerId}`, brokerName: b.brokerName, brokerId, role: brokerId === 0 ? 'master' : 'slave', addr, knownBy: [], expected: false, missing: false, state: 'up', healthy: true, problems: [] };
          nodes.set(key, n);
        } else if (n.addr !== addr) {
          warnings.push(`${n.id}: NameServers disagree on its address (${n.addr} vs ${addr} at ${p.addr})`);
        }
        n.knownBy.push(p.addr);
        const live = p.brokers?.find((l) => l.brokerAddr === addr && l.cluster === b.cluster);
        n.lastRegistrationAgeMillis = minDefined(n.lastRegistrationAgeMillis, live?.lastRegisterAgeMillis);
        n.lastHeartbeatAgeMillis = minDefined(n.lastHeartbeatAgeMillis, live?.lastUpdateAgeMillis);
      }
    }
  }
  for (const e of expected.brokers) {
    const key = nodeKey(e.cluster, e.brokerName, e.brokerId);
    let n = nodes.get(key);
    if (n === undefined) {
      n = { cluster: e.cluster, id: e.id, brokerName: e.brokerName, brokerId: e.brokerId, role: e.brokerId === 0 ? 'master' : 'slave', expectedAddr: e.addr, knownBy: [], expected: true, missing: true, state: 'MISSING', healthy: false, problems: [] };
      nodes.set(key, n);
    }
    n.expected = true;
    n.expectation = e;
    // the topology's node id (after a switchover it is not <brokerName>-<brokerId>)
    n.id = e.id;
    if (n.addr !== undefined && n.addr !== e.addr) n.expectedAddr = e.addr;
  }
  for (const n of nodes.values()) n.askAt = n.expectation?.directAddr ?? n.expectation?.addr ?? n.addr;
  const factsOf = (n: WorkNode | undefined): BrokerFacts | undefined => (n?.askAt === undefined ? undefined : facts.brokers.get(n.askAt));
  const haOf = (n: WorkNode | undefined): HaRuntimeInfo | undefined => {
    const f = factsOf(n);
    return f !== undefined && 'ha' in f ? f.ha : undefined;
  };

  // groups, for masters and slaves to see each other
  const groups = new Map<string, WorkNode[]>();
  for (const n of nodes.values()) {
    const k = `${n.cluster}\u0000${n.brokerName}`;
    const list = groups.get(k) ?? [];
    list.push(n);
    groups.set(k, list);
  }

  for (const list of groups.values()) {
    const master = list.find((n) => n.brokerId === 0);
    const slaves = list.filter((n) => n.brokerId !== 0);
    const masterHa = haOf(master);
    const masterFacts = factsOf(master);
    const masterMax = masterFacts && 'runtime' in masterFacts ? Number(masterFacts.runtime.commitLogMaxOffset) : undefined;
    const sync = master?.expectation?.sync === true || masterHa?.brokerRole === 'SYNC_MASTER';
    const claimed = new Set<HaConnectionInfo>();
    const liveSlaves = slaves.filter((s) => !s.missing);
    const connOf = (slave: WorkNode): HaConnectionInfo | undefined => {
      const hc = haOf(slave)?.haClientRuntimeInfo;
      const conns = masterHa?.haConnectionInfo ?? [];
      const mine = conns.find((x) => sameSocket(hc?.localAddr, x.addr)) ?? (conns.length === 1 && liveSlaves.length === 1 && hc !== undefined ? conns[0] : undefined);
      if (mine === undefined || claimed.has(mine)) return undefined;
      claimed.add(mine);
      return mine;
    };
    for (const n of list) judgeBroker(n, { master, masterHa, masterMax, sync, connOf, facts, processOf, factsOf, up, nsName, cmd, maxLag: opts.maxSlaveLagBytes ?? DEFAULT_MAX_SLAVE_LAG_BYTES, expectingTopology: expected.brokers.length > 0 });

    // without a topology nobody says the master should exist: its group's slaves do
    if (master === undefined && slaves.length > 0) {
      const name = slaves[0]?.brokerName ?? '?';
      problems.push(
        `${name} has no master registered: sends routed to ${name} fail and its slaves only serve reads — ${name}-0 is down or cannot reach the NameServers: ` +
          `${cmd.start(`${name}-0`)}; its log: ${cmd.logs(`${name}-0`)}`,
      );
    }
  }

  const ordered = [...nodes.values()].sort((a, b) => (a.cluster === b.cluster ? (a.brokerName === b.brokerName ? a.brokerId - b.brokerId : a.brokerName < b.brokerName ? -1 : 1) : a.cluster < b.cluster ? -1 : 1));
  for (const n of ordered) {
    n.healthy = n.problems.every((p) => p.gateOnly);
    if (!n.healthy && n.state === 'up') n.state = 'UNHEALTHY';
    const label = `${n.id} (${n.role})`;
    for (const p of n.problems) (p.gateOnly ? warnings : problems).push(sentence(label, p));
    if (expected.brokers.length > 0 && !n.expected) warnings.push(`${n.id} (${n.addr}) is registered but not in the topology`);
  }

  const clusters = new Map<string, Map<string, BrokerNodeStatus[]>>();
  for (const { cluster, expectation: _e, askAt: _a, ...n } of nodes.values()) {
    let gs = clusters.get(cluster);
    if (gs === undefined) clusters.set(cluster, (gs = new Map()));
    let list = gs.get(n.brokerName);
    if (list === undefined) gs.set(n.brokerName, (list = []));
    list.push(n);
  }
  const sorted = <T>(m: Map<string, T>) => [...m].sort((a, b) => (a[0] < b[0] ? -1 : 1));
  return {
    nameservers,
    clusters: sorted(clusters).map(([name, gs]) => ({
      name,
      groups: sorted(gs).map(([brokerName, list]) => ({ brokerName, nodes: list.sort((a, b) => a.brokerId - b.brokerId) })),
    })),
    problems,
    warnings,
    healthy: problems.length === 0,
  };
}

function sentence(label: string, p: NodeProblem): string {
  return `${label} ${p.message}${p.fix ? ` — ${p.fix}` : ''}`;
}

function notRunning(proc: ProcessState, id: string, cmd: ReturnType<typeof commandsFor>): NodeProblem {
  return {
    check: 'process',
    message: proc.exited ? `is not running: the process exited (${proc.state})` : `is not running (${proc.state})`,
    fix: `${cmd.start(id)}; its log: ${cmd.logs(id)}`,
    fatal: proc.exited,
  };
}

interface BrokerContext {
  master: WorkNode | undefined;
  masterHa: HaRuntimeInfo | undefined;
  masterMax: number | undefined;
  sync: boolean;
  connOf: (slave: WorkNode) => HaConnectionInfo | undefined;
  facts: ClusterFacts;
  processOf: (id: string | undefined) => ProcessState | undefined;
  factsOf: (n: WorkNode | undefined) => BrokerFacts | undefined;
  up: readonly (NameServerProbe & { clusterInfo: NonNullable<NameServerProbe['clusterInfo']> })[];
  nsName: (addr: string) => string;
  cmd: ReturnType<typeof commandsFor>;
  maxLag: number;
  expectingTopology: boolean;
}

function judgeBroker(n: WorkNode, c: BrokerContext): void {
  const add = (p: NodeProblem) => n.problems.push(p);
  const e = n.expectation;
  const proc = c.processOf(e?.id);
  if (proc !== undefined) {
    n.process = proc;
    if (proc.pid !== undefined) n.pid = proc.pid;
  }
  const f = c.factsOf(n);
  const runtime = f !== undefined && 'runtime' in f ? f.runtime : undefined;
  if (n.pid === undefined && runtime?.pid !== undefined && /^\d+$/.test(runtime.pid)) n.pid = Number(runtime.pid);

  // 1. the process runs
  if (proc !== undefined && !proc.running) {
    add(notRunning(proc, n.id, c.cmd));
    n.state = 'DOWN';
    return;
  }
  // 2. it answers, and it is the process its supervisor started
  if (f === undefined || 'error' in f) {
    const where = n.askAt ?? n.addr ?? '?';
    const why = f !== undefined && 'error' in f ? f.error : 'not asked';
    add({
      check: 'protocol',
      message: n.missing && n.knownBy.length === 0 ? `is not registered with any reachable NameServer and does not answer at ${where}: ${why}` : `does not answer at ${where}: ${why}`,
      fix: e ? `its log: ${c.cmd.logs(n.id)}; restart it with ${c.cmd.restart(n.id)}` : 'check that it runs and that this machine can reach it',
    });
    n.state = n.missing ? 'MISSING' : 'DOWN';
    return;
  }
  const boot = Number(runtime?.bootTimestamp);
  if (proc?.startedAt !== undefined && Number.isFinite(boot) && boot > 0 && boot < proc.startedAt - BOOT_SLACK_MS) {
    add({
      check: 'protocol',
      message: `is not what answers at ${n.askAt}: a process that booted at ${new Date(boot).toISOString()}, before ${n.id} was started (${new Date(proc.startedAt).toISOString()}) holds the port`,
      fix: `stop that process, then ${c.cmd.restart(n.id)}`,
      fatal: true,
    });
  }

  // 3. registered on every reachable NameServer
  if (e !== undefined) {
    const why: string[] = [];
    for (const p of c.up) {
      const w = registrationProblem(p.clusterInfo, { cluster: e.cluster, brokerName: e.brokerName, brokerId: e.brokerId, addr: e.addr });
      if (w) why.push(`on ${c.nsName(p.addr)}: ${w}`);
    }
    if (why.length) {
      add({ check: 'registered', message: `is not registered as expected ${why.join('; ')}`, fix: `it registers within seconds of starting; if it does not, read its log: ${c.cmd.logs(n.id)}` });
    }
  } else if (n.knownBy.length < c.up.length) {
    const lacking = c.up.filter((p) => !n.knownBy.includes(p.addr)).map((p) => p.addr);
    add({ check: 'registered', message: `is registered with ${n.knownBy.length} of ${c.up.length} reachable NameServers (missing at ${lacking.join(', ')}): clients of those cannot route to it`, fix: 'check that its namesrvAddr lists every NameServer and that it reaches them' });
  }
  if (n.missing) n.state = 'MISSING';

  // 4. the advertised address answers from here
  if (e !== undefined && e.directAddr !== undefined && e.directAddr !== e.addr) {
    const err = c.facts.advertised.get(e.addr);
    if (err !== undefined) {
      add({
        check: 'advertised',
        message: `answers at ${e.directAddr} but registers as ${e.addr} (brokerIP1), and clients are routed there: ${e.addr} does not answer from this machine (${err})`,
        fix: `set brokerIP1 in the topology to an address clients can reach (or leave it out to advertise the host's address ${e.directAddr.slice(0, e.directAddr.lastIndexOf(':'))})`,
        fatal: true,
      });
    }
  }

  // replication view, for the display and the checks below
  const ha = 'ha' in f ? f.ha : undefined;
  const r: NodeReplication = {};
  const max = Number(runtime?.commitLogMaxOffset);
  if (Number.isSafeInteger(max)) r.commitLogMaxOffset = max;
  if (ha !== undefined && ha.brokerRole !== undefined) r.brokerRole = ha.brokerRole;
  else if (runtime?.brokerRole !== undefined) r.brokerRole = runtime.brokerRole;
  let conn: HaConnectionInfo | undefined;
  if (ha?.master) {
    r.haState = 'serving';
    r.slavesConnected = ha.haConnectionInfo.length;
    r.slavesInSync = ha.haConnectionInfo.length > 0 ? ha.haConnectionInfo.filter(connInSync).length : ha.inSyncSlaveNums;
    if (ha.acksNeeded !== undefined) r.acksNeeded = ha.acksNeeded;
  } else if (ha !== undefined) {
    const hc = ha.haClientRuntimeInfo;
    if (hc.state !== undefined) r.haState = hc.state;
    if (hc.masterAddr) r.masterHaAddr = hc.masterAddr;
    if (hc.reason !== undefined) r.reason = hc.reason;
    conn = c.connOf(n);
    if (conn !== undefined) {
      r.lagBytes = Math.max(0, conn.diff);
      if (conn.lagMillis !== undefined) r.lagMillis = conn.lagMillis;
      r.inSync = connInSync(conn);
    }
  }
  n.replication = r;

  // RocketMQ 5 clients are routed to the broker's gRPC endpoint: it answers the v5 protocol from here
  const grpc = 'grpc' in f ? f.grpc : undefined;
  if (grpc !== undefined) {
    n.grpc = grpc;
    if (!grpc.answers) {
      add({ check: 'grpc', message: `its gRPC endpoint ${grpc.endpoint} (grpcServerPort, where RocketMQ 5 clients are routed) does not answer the v5 protocol from this machine: ${grpc.error ?? 'no answer'}`, fix: `read its log (${c.cmd.logs(n.id)}); a firewall must let clients reach that port` });
    }
  }

  // 5. a master accepts writes
  if (n.role === 'master' && runtime !== undefined) {
    n.writable = true;
    const perm = runtime.brokerPermission === undefined ? undefined : Number(runtime.brokerPermission);
    if (runtime.writable === undefined && perm !== undefined && Number.isInteger(perm) && (perm & PERM_WRITE) === 0) {
      n.writable = false;
      add({ check: 'writable', message: `refuses writes: its permission is ${perm} (${perm & 0x4 ? 'read-only' : 'no access'})`, fix: 'give it write permission back (brokerPermission 6), e.g. with mqadmin updateBrokerConfig -k brokerPermission -v 6' });
    }
    // rmqd says whether a send would be stored now and why not (writable / writeRefusal / writeRefusalReason)
    const refusal = runtime.writeRefusal;
    const warnAt = percent(runtime.diskSpaceWarningLevelRatio) ?? DEFAULT_DISK_WARNING_PERCENT;
    const used = percent(runtime.commitLogDiskRatio);
    const where = e?.host ? ` on host ${e.host}` : '';
    if (runtime.writable === 'false' && refusal !== 'slave') {
      n.writable = false;
      const restart = refusal === 'write-failed';
      add({
        check: 'writable',
        message: `refuses writes: ${runtime.writeRefusalReason || refusal || 'its store does not accept puts'}`,
        fix: refusal === 'no-permission' ? 'give it write permission back (brokerPermission 6, e.g. mqadmin updateBrokerConfig -k brokerPermission -v 6)' : restart ? `restart it (recovery repairs the log's tail): ${c.cmd.restart(n.id)}; its log: ${c.cmd.logs(n.id)}` : refusal === 'shutting-down' ? 'it is stopping' : `free disk space${runtime.storePathCommitLog ? ` in ${runtime.storePathCommitLog}` : ' where its store is'}${where}: it takes writes again by itself`,
      });
    } else if (runtime.writable === undefined && used !== undefined && used >= warnAt) {
      // a runtime that does not say (older rmqd, Java): judge the disk against the level it refuses at
      n.writable = false;
      add({ check: 'writable', message: `refuses writes: its store's disk is ${used.toFixed(1)}% used, over the ${warnAt}% (diskSpaceWarningLevelRatio) above which it refuses every send`, fix: `free disk space where its store is${where} (or delete old commit-log files sooner: fileReservedTime)` });
    }
  }

  // 6. replication
  if (n.role === 'slave' && ha !== undefined) {
    const stopped = ha.haClientRuntimeInfo.state === 'diverged' || ha.haClientRuntimeInfo.state === 'halted';
    const why = replicationProblem(ha, { ...(e?.masterHaAddr !== undefined ? { masterHaAddr: e.masterHaAddr } : {}), ...(c.masterMax !== undefined && Number.isSafeInteger(c.masterMax) ? { masterMaxOffset: c.masterMax } : {}), maxLagBytes: c.maxLag });
    if (why) add({ check: 'replication', message: why, fix: stopped ? `read its log (${c.cmd.logs(n.id)}): a diverged slave needs its store rebuilt from its master` : `check its master ${n.brokerName}-0 and the network between them; its log: ${c.cmd.logs(n.id)}` });
    else if (c.sync && c.master !== undefined && c.masterHa !== undefined && (conn === undefined || !connInSync(conn))) {
      const lag = conn === undefined ? 'its master does not list it among its HA connections' : conn.outOfSyncReason ?? `its master counts it ${conn.diff} bytes${conn.lagMillis !== undefined ? ` / ${conn.lagMillis} ms` : ''} behind`;
      // available (sends wait for it and succeed) but behind: a rolling step waits, status warns
      const catchingUp = conn !== undefined && conn.available === true;
      add({ check: 'in-sync', message: `is not in sync with its SYNC master (${lag}): sends to ${n.brokerName} ${catchingUp ? 'wait for it' : 'cannot count on it'}`, fix: `it catches up on its own within seconds; if not, read its log: ${c.cmd.logs(n.id)}`, ...(catchingUp ? { gateOnly: true } : {}) });
    }
  }
  if (n.role === 'master' && ha?.master && c.sync) {
    const need = ha.acksNeeded ?? 1;
    const inSync = ha.haConnectionInfo.filter(connInSync).length;
    const lacking = ha.haConnectionInfo.filter((x) => !connInSync(x)).map((x) => `${x.addr}${x.outOfSyncReason ? `: ${x.outOfSyncReason}` : ''}`);
    const why = lacking.length ? ` (${lacking.join('; ')})` : ha.haConnectionInfo.length === 0 ? ' (no slave connected)' : '';
    if ((ha.availableSlaveNums ?? ha.inSyncSlaveNums) < need) {
      add({
        check: 'in-sync',
        message: `is a SYNC_MASTER with ${ha.availableSlaveNums ?? ha.inSyncSlaveNums} slave(s) its sends can wait for (needs ${need})${why}: sends to ${n.brokerName} answer SLAVE_NOT_AVAILABLE or time out`,
        fix: `bring its slaves back (see ${n.brokerName}'s slaves)`,
      });
    } else if (inSync < need) {
      add({ check: 'in-sync', message: `is a SYNC_MASTER with ${inSync} slave(s) in sync (needs ${need})${why}: its sends wait while a slave catches up`, fix: 'a catching-up slave is in sync again within seconds', gateOnly: true });
    }
  }
}

/**
 * A slave connection a SYNC send can count on now: in sync as the master says, or available with
 * nothing missing (an idle, empty log: the master reports "acknowledged nothing yet").
 */
function connInSync(x: HaConnectionInfo): boolean {
  return x.inSync || (x.available !== false && x.state !== 'handshake' && x.diff <= 0 && (x.behindMillis ?? 0) === 0 && (x.slaveAckOffset >= 0 || x.diff === 0));
}

/** A ratio ('0.93') or percent ('93') as percent. */
function percent(v: string | undefined): number | undefined {
  if (v === undefined || v.trim() === '') return undefined;
  const x = Number(v);
  if (!Number.isFinite(x)) return undefined;
  return x <= 1 ? x * 100 : x;
}
