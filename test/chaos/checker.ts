/**
 * The independent checker: reads a run's history (history.ts) and nothing else, and says what
 * happened to every message.
 *
 * - acknowledged = answered SEND_OK. Each must be delivered to every consumer group at least once
 *   (`lost` otherwise). Stored-but-not-durable answers (FLUSH_DISK_TIMEOUT, FLUSH_SLAVE_TIMEOUT,
 *   SLAVE_NOT_AVAILABLE) are counted apart (`lostNotDurable` when not delivered).
 * - phantom: a delivery whose body is not one of ours, is corrupted (its hash fails), or names an
 *   id that was never sent.
 * - conflicts: two different messages delivered at the same broker/queue/offset (a diverged or
 *   overwritten log), and acknowledged messages never delivered from the position their
 *   acknowledgement named (`misplaced`).
 * - duplicates: deliveries beyond the first, split into redeliveries of the same stored copy
 *   (offsets committed late, rebalances, restarts) and copies stored twice (a producer retried a
 *   send whose first attempt was stored). No mode promises exactly-once delivery (RocketMQ's
 *   delivery is at-least-once), so duplicates are counted, never failed.
 * - order: in an orderly group, the first delivery of each queue's messages must come in queue
 *   offset order; on the producer side, a lane's acknowledged messages that landed in the same
 *   queue must sit there in send order. `skipped`: queue offsets between a group's first and last
 *   delivered offset of a queue that the group never got (stored messages jumped over).
 * - recovery per fault: from the heal to the moment every broker group had answered SEND_OK to,
 *   and every consumer group had received, a message sent after the heal (full service again).
 */
import type { HistoryEvent, MessageId } from './history.js';

type Ev<K extends HistoryEvent['e']> = Extract<HistoryEvent, { e: K }>;

export interface GroupVerdict {
  deliveries: number;
  unique: number;
  /** Counts (the lists below keep at most 20 examples each). */
  lostCount: number;
  phantomCount: number;
  lost: MessageId[];
  lostNotDurable: MessageId[];
  phantom: { id: MessageId | null; body: string; at: string }[];
  misplaced: MessageId[];
  duplicates: { redelivered: number; storedTwice: number };
  orderViolations: string[];
  skipped: string[];
  deliveredUnacknowledged: number;
}

export interface FaultRecovery {
  n: number;
  kind: string;
  target: string;
  detail: string;
  faultMs: number;
  /** Heal -> every broker group answered SEND_OK and every consumer group received again (messages sent after the heal); null when that never happened. */
  recoveryMs: number | null;
  /** Sends started between the fault and full recovery: the longest a send waited for its answer, and how many failed. */
  longestSendMs: number;
  failedSends: number;
}

export interface Verdict {
  sent: number;
  acknowledged: number;
  storedNotDurable: number;
  failed: number;
  unanswered: number;
  groups: Record<string, GroupVerdict>;
  conflicts: string[];
  laneOrderViolations: string[];
  faults: FaultRecovery[];
  /** Slaves compared with their masters after the drain. */
  replicas: Ev<'replica'>[];
  /** Sum over groups. */
  lost: number;
  phantom: number;
  duplicates: number;
}

const MAX_EXAMPLES = 20;
const keep = <T>(list: T[], x: T) => {
  if (list.length < MAX_EXAMPLES) list.push(x);
};

export function check(history: readonly HistoryEvent[]): Verdict {
  const sends = new Map<MessageId, Ev<'send'>>();
  const acks = new Map<MessageId, Ev<'ack'>>();
  const fails = new Set<MessageId>();
  const failsAt = new Map<MessageId, number>();
  const deliveriesByGroup = new Map<string, Ev<'deliver'>[]>();
  const faults: Ev<'fault'>[] = [];
  const heals = new Map<number, Ev<'heal'>>();
  const replicas: Ev<'replica'>[] = [];
  for (const ev of history) {
    if (ev.e === 'send') sends.set(ev.id, ev);
    else if (ev.e === 'ack') acks.set(ev.id, ev);
    else if (ev.e === 'fail') {
      fails.add(ev.id);
      failsAt.set(ev.id, ev.t);
    }
    else if (ev.e === 'deliver') {
      if (!deliveriesByGroup.has(ev.group)) deliveriesByGroup.set(ev.group, []);
      deliveriesByGroup.get(ev.group)!.push(ev);
    } else if (ev.e === 'fault') faults.push(ev);
    else if (ev.e === 'heal') heals.set(ev.n, ev);
    else if (ev.e === 'replica') replicas.push(ev);
  }
  const durable = [...acks.values()].filter((a) => a.status === 'SEND_OK');
  const durableByTime = [...durable].sort((x, y) => x.t - y.t);
  const notDurable = [...acks.values()].filter((a) => a.status !== 'SEND_OK');
  const pos = (broker: string, queue: number, offset: number) => `${broker}/${queue}@${offset}`;

  // who sits at each position, over every group
  const atPosition = new Map<string, MessageId | null>();
  const conflicts: string[] = [];
  const groups: Record<string, GroupVerdict> = {};
  for (const [group, list] of deliveriesByGroup) {
    const v: GroupVerdict = { deliveries: list.length, unique: 0, lostCount: 0, phantomCount: 0, lost: [], lostNotDurable: [], phantom: [], misplaced: [], duplicates: { redelivered: 0, storedTwice: 0 }, orderViolations: [], skipped: [], deliveredUnacknowledged: 0 };
    const positionsOf = new Map<MessageId, Set<string>>();
    let lostCount = 0;
    let phantomCount = 0;
    for (const d of list) {
      const where = pos(d.broker, d.queue, d.offset);
      if (d.id === null || !sends.has(d.id)) {
        phantomCount++;
        keep(v.phantom, { id: d.id, body: d.body, at: where });
      }
      const positioned = d.queue >= 0;
      if (positioned) {
        const prev = atPosition.get(where);
        if (prev === undefined) atPosition.set(where, d.id);
        else if (prev !== d.id) keep(conflicts, `${where} delivered as ${prev} and as ${d.id} (group ${group})`);
      }
      if (d.id === null) continue;
      if (!positioned) {
        // a client that does not say where a message came from: judged by id only
        if (positionsOf.has(d.id)) v.duplicates.redelivered++;
        else positionsOf.set(d.id, new Set());
        continue;
      }
      const seen = positionsOf.get(d.id);
      if (seen === undefined) positionsOf.set(d.id, new Set([where]));
      else if (seen.has(where)) v.duplicates.redelivered++;
      else {
        v.duplicates.storedTwice++;
        seen.add(where);
      }
    }
    v.unique = positionsOf.size;
    for (const a of durable) {
      const got = positionsOf.get(a.id);
      if (got === undefined) {
        lostCount++;
        keep(v.lost, a.id);
      } else if (a.queue >= 0 && got.size > 0 && !got.has(pos(a.broker, a.queue, a.offset))) keep(v.misplaced, `${a.id} acknowledged at ${pos(a.broker, a.queue, a.offset)}, delivered from ${[...got].join(', ')}`);
    }
    for (const a of notDurable) if (!positionsOf.has(a.id)) keep(v.lostNotDurable, a.id);
    for (const id of positionsOf.keys()) if (!acks.has(id)) v.deliveredUnacknowledged++;

    // order and gaps per queue
    const queues = new Map<string, { seen: Set<number>; max: number; min: number }>();
    const orderly = group.includes('ORDERLY');
    for (const d of list) {
      if (d.queue < 0) continue;
      const q = `${d.broker}/${d.queue}`;
      let s = queues.get(q);
      if (s === undefined) queues.set(q, (s = { seen: new Set(), max: -1, min: d.offset }));
      if (s.seen.has(d.offset)) continue;
      if (d.offset < s.max && orderly) keep(v.orderViolations, `${q}: offset ${d.offset} first delivered after ${s.max} (${d.member}, ${d.id})`);
      s.seen.add(d.offset);
      s.max = Math.max(s.max, d.offset);
      s.min = Math.min(s.min, d.offset);
    }
    for (const [q, s] of queues) {
      const missing: number[] = [];
      for (let o = s.min; o <= s.max; o++) if (!s.seen.has(o)) missing.push(o);
      if (missing.length) keep(v.skipped, `${q}: ${missing.length} offsets never delivered (${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', …' : ''})`);
    }
    v.lostCount = lostCount;
    v.phantomCount = phantomCount;
    groups[group] = v;
  }

  // producer side: a lane's acknowledged messages in one queue are stored in send order
  const laneOrderViolations: string[] = [];
  const byLane = new Map<string, Ev<'ack'>[]>();
  for (const a of acks.values()) {
    if (a.queue < 0) continue; // a client that does not know where its message was stored
    if (!byLane.has(a.lane)) byLane.set(a.lane, []);
    byLane.get(a.lane)!.push(a);
  }
  for (const [lane, list] of byLane) {
    list.sort((x, y) => seqOf(x.id) - seqOf(y.id));
    const last = new Map<string, Ev<'ack'>>();
    for (const a of list) {
      const q = `${a.broker}/${a.queue}`;
      const p = last.get(q);
      if (p !== undefined && p.offset >= a.offset) keep(laneOrderViolations, `${lane}: ${a.id} stored at ${q}@${a.offset}, not after ${p.id} at @${p.offset}`);
      last.set(q, a);
    }
  }

  // recovery per fault, from the history's timestamps
  const brokerGroups = [...new Set(durable.map((a) => a.broker))];
  const groupNames = [...deliveriesByGroup.keys()];
  const recoveries: FaultRecovery[] = faults.map((f) => {
    const h = heals.get(f.n);
    const out: FaultRecovery = { n: f.n, kind: f.kind, target: f.target, detail: f.detail, faultMs: h ? h.t - f.t : 0, recoveryMs: null, longestSendMs: 0, failedSends: 0 };
    if (!h) return out;
    const windowEnd = (r: number | null) => h.t + (r ?? 60_000);
    const measure = (r: number | null) => {
      for (const s of sends.values()) {
        if (s.t < f.t || s.t > windowEnd(r)) continue;
        const answer = acks.get(s.id)?.t ?? failsAt.get(s.id);
        if (answer !== undefined) out.longestSendMs = Math.max(out.longestSendMs, answer - s.t);
        if (failsAt.has(s.id)) out.failedSends++;
      }
    };
    let worst = 0;
    for (const b of brokerGroups) {
      const first = durableByTime.find((a) => a.broker === b && (sends.get(a.id)?.t ?? 0) >= h.t);
      if (!first) return (measure(null), out);
      worst = Math.max(worst, first.t - h.t);
    }
    for (const g of groupNames) {
      const first = deliveriesByGroup.get(g)!.find((d) => d.id !== null && (sends.get(d.id)?.t ?? 0) >= h.t);
      if (!first) return (measure(null), out);
      worst = Math.max(worst, first.t - h.t);
    }
    out.recoveryMs = worst;
    measure(worst);
    return out;
  });

  const answered = new Set([...acks.keys(), ...fails]);
  const gv = Object.values(groups);
  return {
    sent: sends.size,
    acknowledged: durable.length,
    storedNotDurable: notDurable.length,
    failed: fails.size,
    unanswered: [...sends.keys()].filter((id) => !answered.has(id)).length,
    groups,
    conflicts,
    laneOrderViolations,
    faults: recoveries,
    replicas,
    lost: gv.reduce((n, g) => n + g.lostCount, 0),
    phantom: gv.reduce((n, g) => n + g.phantomCount, 0),
    duplicates: gv.reduce((n, g) => n + g.duplicates.redelivered + g.duplicates.storedTwice, 0),
  };
}

function seqOf(id: MessageId): number {
  return Number(id.slice(id.lastIndexOf(':') + 1));
}


/** One line per problem, empty when the run kept every promise the checker asserts. */
export function problems(v: Verdict, opts: { noLossAsserted: boolean }): string[] {
  const out: string[] = [];
  for (const [g, gv] of Object.entries(v.groups)) {
    if (opts.noLossAsserted && gv.lostCount) out.push(`${g}: ${gv.lostCount} acknowledged messages never delivered: ${gv.lost.slice(0, 10).join(', ')}`);
    if (gv.phantom.length) out.push(`${g}: deliveries of messages never sent or corrupted: ${JSON.stringify(gv.phantom.slice(0, 5))}`);
    if (gv.misplaced.length) out.push(`${g}: acknowledged positions holding something else: ${gv.misplaced.slice(0, 5).join('; ')}`);
    if (gv.orderViolations.length) out.push(`${g}: order: ${gv.orderViolations.slice(0, 5).join('; ')}`);
  }
  if (v.conflicts.length) out.push(`positions delivered as two messages: ${v.conflicts.slice(0, 5).join('; ')}`);
  for (const r of v.replicas) {
    if (r.firstDifference !== null) out.push(`${r.slave}'s commit log differs from ${r.master}'s at offset ${r.firstDifference} (diverged)`);
    else if (r.slaveEnd !== r.masterEnd) out.push(`${r.slave} ends at ${r.slaveEnd}, its master ${r.master} at ${r.masterEnd}: not caught up after the drain`);
  }
  if (v.laneOrderViolations.length) out.push(`lane order: ${v.laneOrderViolations.slice(0, 5).join('; ')}`);
  return out;
}
