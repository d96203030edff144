/**
 * A planned switchover of one broker group (`rmqctl failover <topology> <group> [--to node]`),
 * RocketMQ's maintenance procedure made one command, without etcd:
 *  1. check: the master and the chosen slave answer, the slave replicates and the master counts
 *     it in sync (refused otherwise, nothing changed);
 *  2. wipe the group's write permission on every NameServer (producers route to other groups);
 *  3. fence the master (BROKER_FENCE: it refuses puts — cached routes too) and take its log's end;
 *  4. wait until the slave's log ends there too (every byte; bounded, else everything is undone);
 *  5. record the new roles (the caller writes the rendered files and the masters state);
 *  6. the old master becomes the new one's slave, the slave becomes master of a new epoch starting
 *     exactly at that offset (BROKER_CHANGE_ROLE), other slaves follow it — no restart, no data cut;
 *  7. restore the write permission and wait until every NameServer routes to the new master.
 * A failure before step 6 undoes what was done (fence lifted, permission restored, record undone).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { AdminClient } from '../../client/admin.js';
import { BrokerApi } from '../../client/broker-api.js';
import { InvalidInputError, RmqError } from '../../errors.js';
import { decodeEpochEntryCache } from '../../protocol/epoch-cache.js';
import { encodeHeader, decodeHeader } from '../../protocol/header-spec.js';
import { BrokerChangeRoleRequestHeader, BrokerChangeRoleResponseHeader, BrokerFenceRequestHeader, BrokerFenceResponseHeader } from '../../protocol/headers/failover.js';
import { AddWritePermOfBrokerRequestHeader, WipeWritePermOfBrokerRequestHeader } from '../../protocol/headers/namesrv.js';
import { decodeClusterInfo } from '../../protocol/route.js';
import { RemotingClient } from '../../remoting/client.js';
import { RequestCode, RmqExtensionCode } from '../../remoting/codes.js';
import { createRequest } from '../../remoting/command.js';
import { hostByName, type BrokerNode, type ClusterModel, type NodeId } from '../../topology/index.js';
import type { NodeAccess } from '../health/index.js';

export const SWITCHOVER_STEPS = ['check', 'wipe write permission', 'fence master', 'wait for slave', 'record roles', 'demote master', 'promote slave', 'repoint slaves', 'restore write permission', 'route'] as const;
export type SwitchoverStep = (typeof SWITCHOVER_STEPS)[number];

export type SwitchoverEvent = { step: SwitchoverStep | 'undo'; status: 'begin' | 'done' | 'failed'; detail?: string };

export interface SwitchoverOptions {
  access?: NodeAccess;
  /** Largest lag (bytes the slave lacks) accepted before the writes stop (default 64 MiB). */
  maxLagBytes?: number;
  /** How long the slave may take to hold every byte once writes stopped (default 10 s); then everything is undone. */
  catchUpTimeoutMs?: number;
  /** How long the NameServers may take to route to the new master (default 15 s). */
  routeTimeoutMs?: number;
  onEvent?: (e: SwitchoverEvent) => void;
}

/** Who takes over, decided before anything changes. */
export interface SwitchoverPlan {
  group: string;
  from: BrokerNode;
  to: BrokerNode;
  /** Other slaves of the group (they follow the new master). */
  others: BrokerNode[];
  /** The epoch the new master begins. */
  epoch: number;
  /** Bytes the target lacked when checked, and the master's end then. */
  lagBytes: number;
  masterOffset: number;
  /** The cluster already routes to the target as master (only the record is missing): nothing to switch. */
  alreadyMaster: boolean;
}

export interface SwitchoverResult {
  group: string;
  from: NodeId;
  to: NodeId;
  epoch: number;
  /** The commit-log offset where the new epoch begins (the fenced master's end). */
  offset: number;
  /** From the fence until every NameServer routes to the writable new master: sends to this group failed or went elsewhere meanwhile. */
  writesStoppedMs: number;
  /** From the fence until the slave held every byte. */
  catchUpMs: number;
  steps: { step: SwitchoverStep; ms: number; detail?: string }[];
  alreadyMaster: boolean;
}

/** The switchover cannot be done (refused before any change, or undone): why, in one sentence. */
export class SwitchoverRefused extends RmqError {
  override readonly name: string = 'SwitchoverRefused';
}

const DEFAULT_MAX_LAG = 64 * 1024 * 1024;

/** The caller's part: make the rendered files and the masters state say `to` is master (and undo it). Returns the model as it is now. */
export interface RoleRecorder {
  record(group: string, to: NodeId, epoch: number): Promise<ClusterModel>;
  undo(): Promise<void>;
}

export class Switchover {
  private readonly remoting: RemotingClient;
  private readonly brokers: BrokerApi;
  private readonly namesrvAddrs: string[];

  constructor(
    private readonly model: ClusterModel,
    private readonly opts: SwitchoverOptions = {},
  ) {
    this.remoting = new RemotingClient({ ...opts.access });
    this.brokers = new BrokerApi(this.remoting, 5_000);
    this.namesrvAddrs = model.nodes.flatMap((n) => (n.kind === 'namesrv' ? [`${hostByName(model, n.host)?.address ?? n.address}:${n.listenPort}`] : []));
  }

  /** Where this machine reaches a node. */
  private direct(n: BrokerNode): string {
    return `${hostByName(this.model, n.host)?.address ?? n.address}:${n.listenPort}`;
  }

  private advertised(n: BrokerNode): string {
    return `${n.brokerIP1}:${n.listenPort}`;
  }

  private haAddr(n: BrokerNode): string {
    return `${n.brokerIP1}:${n.haPort}`;
  }

  /** Decides the target and checks it may take over; changes nothing. */
  async plan(groupName: string, toNode?: NodeId): Promise<SwitchoverPlan> {
    const g = this.model.groups.find((x) => x.name === groupName);
    if (g === undefined) throw new InvalidInputError(`no broker group ${groupName} in cluster ${this.model.cluster} (groups: ${this.model.groups.map((x) => x.name).join(', ')})`);
    const nodeOf = (id: NodeId) => this.model.nodes.find((n): n is BrokerNode => n.kind === 'broker' && n.id === id);
    const from = nodeOf(g.masterId)!;
    const slaves = g.slaveIds.map((id) => nodeOf(id)!);
    if (slaves.length === 0) throw new InvalidInputError(`broker group ${groupName} has no slave to take over`);
    if (toNode !== undefined && !g.nodeIds.includes(toNode)) throw new InvalidInputError(`--to ${toNode}: not a node of ${groupName} (its nodes: ${g.nodeIds.join(', ')})`);

    // what the cluster says now: the NameServers' master of the group
    const live = await this.liveMaster(groupName);
    const byAddr = (addr: string | undefined) => [from, ...slaves].find((n) => this.advertised(n) === addr);
    const liveNode = byAddr(live);
    if (toNode !== undefined && liveNode?.id === toNode && toNode !== from.id) {
      // switched already (the state was not recorded here): only record it
      const epoch = await this.epochOf(liveNode);
      return { group: groupName, from, to: liveNode, others: slaves.filter((s) => s.id !== toNode), epoch, lagBytes: 0, masterOffset: 0, alreadyMaster: true };
    }
    if (toNode === from.id) throw new InvalidInputError(`${toNode} is the master of ${groupName} already`);
    if (live === undefined) throw new SwitchoverRefused(`no NameServer routes to a master of ${groupName}: a planned switchover needs its master running (it stops the master's writes first). Start it (\`rmqctl start <topology> --node ${from.id}\`), or see docs/design/ha.md#failover`);
    if (liveNode?.id !== from.id) {
      throw new SwitchoverRefused(`the NameServers route ${groupName} to ${live}${liveNode ? ` (${liveNode.id})` : ''}, but this machine's state has ${from.id} (${this.advertised(from)}) as its master: record the real master first with \`rmqctl failover <topology> ${groupName} --to ${liveNode?.id ?? '<node>'}\``);
    }

    const ha = await this.brokers.haStatus(this.direct(from)).catch((e: Error) => {
      throw new SwitchoverRefused(`the master ${from.id} (${this.direct(from)}) does not answer: ${e.message}`);
    });
    const candidates: { node: BrokerNode; lag: number; inSync: boolean; why?: string }[] = [];
    for (const s of slaves) {
      if (toNode !== undefined && s.id !== toNode) continue;
      const sh = await this.brokers.haStatus(this.direct(s)).catch((e: Error) => e);
      if (sh instanceof Error) {
        candidates.push({ node: s, lag: Infinity, inSync: false, why: `does not answer at ${this.direct(s)}: ${sh.message}` });
        continue;
      }
      const client = sh.haClientRuntimeInfo;
      const conn = ha.haConnectionInfo.find((c) => client.localAddr !== undefined && c.addr === client.localAddr);
      const lag = conn !== undefined && conn.slaveAckOffset >= 0 ? Math.max(0, ha.masterCommitLogMaxOffset - conn.slaveAckOffset) : Infinity;
      // an idle pair: the slave acknowledged nothing new on this connection but lacks nothing (the judge counts it in sync too)
      const inSync = conn !== undefined && (conn.inSync || (conn.available === true && lag === 0));
      let why: string | undefined;
      if (client.state !== undefined && client.state !== 'replicating') why = `is not replicating (its HA client is ${client.state}${client.reason ? `: ${client.reason}` : ''})`;
      else if (conn === undefined) why = `is not connected to ${from.id}'s HA port`;
      else if (!inSync) why = `is not in sync with ${from.id}${conn.outOfSyncReason ? ` (${conn.outOfSyncReason})` : ''}`;
      else if (lag > (this.opts.maxLagBytes ?? DEFAULT_MAX_LAG)) why = `is ${lag} bytes behind (more than ${this.opts.maxLagBytes ?? DEFAULT_MAX_LAG})`;
      candidates.push({ node: s, lag, inSync: why === undefined, ...(why ? { why } : {}) });
    }
    const fit = candidates.filter((c) => c.inSync).sort((a, b) => a.lag - b.lag || a.node.id.localeCompare(b.node.id));
    const chosen = fit[0];
    if (chosen === undefined) {
      throw new SwitchoverRefused(`no slave of ${groupName} may take over: ${candidates.map((c) => `${c.node.id} ${c.why}`).join('; ')}. Nothing was changed`);
    }
    const epochs = await Promise.all([from, ...slaves].map((n) => this.epochOf(n).catch(() => 0)));
    return { group: groupName, from, to: chosen.node, others: slaves.filter((s) => s.id !== chosen.node.id), epoch: Math.max(...epochs) + 1, lagBytes: chosen.lag, masterOffset: ha.masterCommitLogMaxOffset, alreadyMaster: false };
  }

  /** Carries the plan out (see the module comment). */
  async run(p: SwitchoverPlan, recorder: RoleRecorder): Promise<SwitchoverResult> {
    const steps: SwitchoverResult['steps'] = [];
    const emit = this.opts.onEvent ?? (() => {});
    const step = async <T>(name: SwitchoverStep, work: () => Promise<T>, detail?: (r: T) => string): Promise<T> => {
      emit({ step: name, status: 'begin' });
      const t0 = Date.now();
      try {
        const r = await work();
        const d = detail?.(r);
        steps.push({ step: name, ms: Date.now() - t0, ...(d ? { detail: d } : {}) });
        emit({ step: name, status: 'done', ...(d ? { detail: d } : {}) });
        return r;
      } catch (e) {
        emit({ step: name, status: 'failed', detail: (e as Error).message });
        throw e;
      }
    };
    if (p.alreadyMaster) {
      await step('record roles', () => recorder.record(p.group, p.to.id, p.epoch), () => `${p.to.id} is master already (epoch ${p.epoch}): recorded`);
      return { group: p.group, from: p.from.id, to: p.to.id, epoch: p.epoch, offset: 0, writesStoppedMs: 0, catchUpMs: 0, steps, alreadyMaster: true };
    }
    const undo: { what: string; fn: () => Promise<unknown> }[] = [];
    const undoAll = async (cause: Error): Promise<never> => {
      for (const u of undo.reverse()) {
        emit({ step: 'undo', status: 'begin', detail: u.what });
        await u.fn().then(
          () => emit({ step: 'undo', status: 'done', detail: u.what }),
          (e: Error) => emit({ step: 'undo', status: 'failed', detail: `${u.what}: ${e.message}` }),
        );
      }
      throw cause instanceof SwitchoverRefused ? cause : new SwitchoverRefused(`${cause.message}; everything done so far was undone: ${p.from.id} is still the master of ${p.group}`);
    };

    let fencedAt = 0;
    let offset = 0;
    let newModel: ClusterModel = this.model;
    let catchUpMs = 0;
    try {
      await step('wipe write permission', () => this.onEveryNameServer(RequestCode.WIPE_WRITE_PERM_OF_BROKER, encodeHeader(WipeWritePermOfBrokerRequestHeader, { brokerName: p.group })), (n) => `on ${n} NameServer(s)`);
      undo.push({ what: 'restore the write permission', fn: () => this.onEveryNameServer(RequestCode.ADD_WRITE_PERM_OF_BROKER, encodeHeader(AddWritePermOfBrokerRequestHeader, { brokerName: p.group })) });
      fencedAt = Date.now();
      offset = await step('fence master', () => this.fence(p.from, true), (o) => `${p.from.id} refuses puts; its log ends at ${o}`);
      undo.push({ what: `lift ${p.from.id}'s fence`, fn: () => this.fence(p.from, false) });
      await step('wait for slave', () => this.waitFor(p.to, offset), (ms) => `${p.to.id} holds every byte up to ${offset} (${ms} ms)`);
      catchUpMs = Date.now() - fencedAt;
      newModel = await step('record roles', () => recorder.record(p.group, p.to.id, p.epoch), () => `${p.to.id} master, ${p.from.id} slave (brokerId ${p.from.slaveId})`);
      undo.push({ what: 'restore the recorded roles', fn: () => recorder.undo() });
      await step('demote master', () => this.changeRole(p.from, { brokerRole: 'SLAVE', brokerId: p.from.slaveId, masterAddr: this.advertised(p.to), haMasterAddress: this.haAddr(p.to) }), () => `${p.from.id} follows ${p.to.id}`);
      undo.push({ what: `make ${p.from.id} master again`, fn: () => this.changeRole(p.from, { brokerRole: p.from.brokerRole === 'SLAVE' ? this.model.mode.masterRole : p.from.brokerRole, brokerId: 0, epoch: p.epoch + 1, nodeName: p.from.id }) });
    } catch (e) {
      return undoAll(e as Error);
    }
    try {
      const promoted = newModel.nodes.find((n) => n.id === p.to.id);
      const allowFrom = promoted?.properties.find((x) => x.key === 'haAllowedAddresses')?.value;
      await step('promote slave', () => this.changeRole(p.to, { brokerRole: this.model.mode.masterRole, brokerId: 0, epoch: p.epoch, expectMaxOffset: offset, haAllowedAddresses: allowFrom ?? '', nodeName: p.to.id }), () => `${p.to.id} is ${this.model.mode.masterRole} of epoch ${p.epoch} from offset ${offset}`);
    } catch (e) {
      return undoAll(e as Error);
    }
    // from here the new master holds everything: failures are reported, not undone
    await step('repoint slaves', async () => {
      for (const s of p.others) await this.changeRole(s, { brokerRole: 'SLAVE', brokerId: s.brokerId === 0 ? s.slaveId : s.brokerId, masterAddr: this.advertised(p.to), haMasterAddress: this.haAddr(p.to) });
      return p.others.length;
    }, (n) => (n === 0 ? 'no other slave' : `${n} slave(s) follow ${p.to.id}`));
    await step('restore write permission', () => this.onEveryNameServer(RequestCode.ADD_WRITE_PERM_OF_BROKER, encodeHeader(AddWritePermOfBrokerRequestHeader, { brokerName: p.group })), (n) => `on ${n} NameServer(s)`);
    await step('route', () => this.waitForRoute(p.group, this.advertised(p.to)), () => `every NameServer routes ${p.group} to ${p.to.id} (${this.advertised(p.to)})`);
    const writesStoppedMs = Date.now() - fencedAt;
    return { group: p.group, from: p.from.id, to: p.to.id, epoch: p.epoch, offset, writesStoppedMs, catchUpMs, steps, alreadyMaster: false };
  }

  close(): void {
    this.remoting.shutdown();
  }

  private async liveMaster(group: string): Promise<string | undefined> {
    const admin = new AdminClient({ namesrvAddrs: this.namesrvAddrs, remoting: this.remoting, timeoutMillis: 3_000 });
    const info = await admin.clusterInfo();
    return info.brokerAddrTable[group]?.brokerAddrs['0'];
  }

  private async epochOf(n: BrokerNode): Promise<number> {
    const res = await this.remoting.requestOk(this.direct(n), createRequest(RequestCode.GET_BROKER_EPOCH_CACHE), 3_000);
    const c = decodeEpochEntryCache(res.body);
    return c.epochList[c.epochList.length - 1]?.epoch ?? 0;
  }

  /** A request to every NameServer; all must answer. Returns how many did. */
  private async onEveryNameServer(code: number, extFields: Record<string, string>): Promise<number> {
    await Promise.all(this.namesrvAddrs.map((a) => this.remoting.requestOk(a, createRequest(code, { extFields }), 3_000)));
    return this.namesrvAddrs.length;
  }

  private async fence(n: BrokerNode, on: boolean): Promise<number> {
    const res = await this.remoting.requestOk(this.direct(n), createRequest(RmqExtensionCode.BROKER_FENCE, { extFields: encodeHeader(BrokerFenceRequestHeader, { fence: on, reason: `a planned switchover (rmqctl failover) moves the master role of ${n.brokerName} away from ${n.id}: send to the other broker groups meanwhile` }) }), 15_000);
    return decodeHeader(BrokerFenceResponseHeader, res.extFields).maxOffset;
  }

  private async changeRole(n: BrokerNode, h: Parameters<typeof encodeHeader<typeof BrokerChangeRoleRequestHeader>>[1]): Promise<number> {
    const res = await this.remoting.requestOk(this.direct(n), createRequest(RmqExtensionCode.BROKER_CHANGE_ROLE, { extFields: encodeHeader(BrokerChangeRoleRequestHeader, h) }), 15_000);
    return decodeHeader(BrokerChangeRoleResponseHeader, res.extFields).maxOffset;
  }

  /** Until the node's log ends at `offset`; returns how long that took. */
  private async waitFor(n: BrokerNode, offset: number): Promise<number> {
    const t0 = Date.now();
    const deadline = t0 + (this.opts.catchUpTimeoutMs ?? 10_000);
    let last = -1;
    for (;;) {
      const res = await this.remoting.requestOk(this.direct(n), createRequest(RequestCode.GET_BROKER_EPOCH_CACHE), 3_000);
      last = decodeEpochEntryCache(res.body).maxOffset;
      if (last === offset) return Date.now() - t0;
      if (last > offset) throw new SwitchoverRefused(`${n.id}'s log ends at ${last}, past the master's ${offset}: the logs differ`);
      if (Date.now() > deadline) throw new SwitchoverRefused(`${n.id} did not catch up within ${this.opts.catchUpTimeoutMs ?? 10_000} ms (it holds ${last} of ${offset} bytes)`);
      await sleep(10);
    }
  }

  private async waitForRoute(group: string, addr: string): Promise<void> {
    const deadline = Date.now() + (this.opts.routeTimeoutMs ?? 15_000);
    for (;;) {
      const views = await Promise.all(
        this.namesrvAddrs.map(async (a) => {
          const res = await this.remoting.requestOk(a, createRequest(RequestCode.GET_BROKER_CLUSTER_INFO), 3_000).catch(() => undefined);
          return res === undefined ? undefined : decodeClusterInfo(res.body).brokerAddrTable[group]?.brokerAddrs['0'];
        }),
      );
      if (views.every((v) => v === addr)) return;
      if (Date.now() > deadline) throw new RmqError(`the NameServers still route ${group}'s master to ${views.map((v) => v ?? 'none').join(', ')} after ${this.opts.routeTimeoutMs ?? 15_000} ms (expected ${addr})`);
      await sleep(20);
    }
  }
}
