/**
 * The console's JSON API: each route a thin call into the ops library (health judge, topic and
 * group admin, message lookup, DLQ, the sampler's history). Request bodies are checked with zod;
 * what a route answers is typed in api-types.ts, which the page imports.
 */
import { z } from 'zod';
import { InvalidInputError, RmqError } from '../../errors.js';
import { groupNameProblem, isDlqTopic, isRetryTopic, isSystemTopicName, topicNameProblem } from '../../protocol/topic-names.js';
import type { AdminClient } from '../../client/admin.js';
import type { BrokerApi } from '../../client/broker-api.js';
import type { GroupApi } from '../../client/group-api.js';
import type { Producer } from '../../client/producer.js';
import type { RemotingClient } from '../../remoting/client.js';
import type { ClusterHealth } from '../health/index.js';
import { describeGroup, GroupAdminError, listGroups, resetGroupOffsets } from '../group-admin.js';
import { createTopic, deleteTopic, describeTopic, TopicAdminError } from '../topic-admin.js';
import { findById, findByKey, MessageNotFoundError, type FoundMessage } from '../message-lookup.js';
import { findByTime } from '../message-range.js';
import { messageView } from '../message-view.js';
import { listDlq, originalTopicOf, resendDlq } from '../dlq.js';
import { queueKey, type ConsoleSampler } from './sampler.js';
import type { ConsoleMessage, GroupPage, SessionInfo, TopicKind } from './api-types.js';

export interface ConsoleContext {
  admin: AdminClient;
  brokers: BrokerApi;
  groups: GroupApi;
  remoting: RemotingClient;
  timeoutMillis: number;
  health: ClusterHealth;
  sampler: ConsoleSampler;
  /** The console's producer (made on first use). */
  producer: () => Producer;
  session: SessionInfo;
}

export class HttpError extends RmqError {
  override readonly name: string = 'HttpError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface ApiRequest {
  params: string[];
  query: URLSearchParams;
  body: unknown;
}

export interface Route {
  method: 'GET' | 'POST' | 'DELETE';
  path: RegExp;
  /** What the console logs when the route changed something. */
  audit?: (r: ApiRequest) => string;
  handle: (ctx: ConsoleContext, r: ApiRequest) => Promise<unknown>;
}

/** HTTP status for an error the library threw. */
export function statusOf(e: unknown): number {
  if (e instanceof HttpError) return e.status;
  // URIError: a malformed %-escape in the path
  if (e instanceof InvalidInputError || e instanceof RangeError || e instanceof URIError || e instanceof TopicAdminError) return 400;
  if (e instanceof MessageNotFoundError || e instanceof GroupAdminError) return 404;
  return 502;
}

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const r = schema.safeParse(value);
  if (!r.success) throw new HttpError(400, r.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '));
  return r.data;
}

const topicName = z.string().superRefine((t, c) => {
  const p = topicNameProblem(t);
  if (p !== undefined) c.addIssue({ code: 'custom', message: p });
});
const groupName = z.string().superRefine((g, c) => {
  const p = groupNameProblem(g);
  if (p !== undefined) c.addIssue({ code: 'custom', message: p });
});
const queues = z.number().int().min(0).max(16384);

const CreateTopic = z
  .object({
    topic: topicName,
    target: z.union([z.object({ cluster: z.string().min(1) }).strict(), z.object({ broker: z.string().min(1) }).strict()]),
    readQueues: queues,
    writeQueues: queues,
    perm: z.union([z.literal(2), z.literal(4), z.literal(6)]),
    order: z.boolean().default(false),
    messageType: z.enum(['NORMAL', 'FIFO', 'DELAY', 'TRANSACTION']).optional(),
  })
  .strict()
  .refine((t) => t.readQueues + t.writeQueues > 0, { message: 'a topic needs at least one queue' });

const Confirm = (what: string) => z.object({ confirm: z.string() }).refine((b) => b.confirm === what, { message: `type ${what} to confirm`, path: ['confirm'] });

const SendMessage = z
  .object({
    body: z.string().min(1, 'the message body is empty'),
    tag: z.string().min(1).optional(),
    keys: z.array(z.string().min(1).regex(/^\S+$/, 'a key has no spaces')).max(32).optional(),
  })
  .strict();

const ResetOffset = z
  .object({
    topic: topicName,
    timestamp: z.number().int().min(-1),
    force: z.boolean().default(true),
    confirm: z.string(),
  })
  .strict();

const Resend = z.object({ ids: z.array(z.string().regex(/^[0-9A-Fa-f]+$/, 'an offset msgId is hexadecimal')).min(1).max(256) }).strict();

/** `clusterNamed`: the topics a broker makes for its cluster and its group (RocketMQ's cluster, broker-name and reply topics), system topics too. */
function kindOf(topic: string, clusterNamed: ReadonlySet<string>): TopicKind {
  if (isRetryTopic(topic)) return 'retry';
  if (isDlqTopic(topic)) return 'dlq';
  return isSystemTopicName(topic) || clusterNamed.has(topic) ? 'system' : 'normal';
}

function view(m: FoundMessage): ConsoleMessage {
  const { storedRecord: _raw, ...v } = messageView(m);
  return v;
}

function timeParam(q: URLSearchParams, name: string, fallback: number): number {
  const v = q.get(name);
  if (v === null || v === '') return fallback;
  const n = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
  if (!Number.isFinite(n)) throw new HttpError(400, `${name}: expected epoch ms or an ISO-8601 time, got ${JSON.stringify(v)}`);
  return n;
}

const decode = (s: string | undefined): string => decodeURIComponent(s ?? '');

export const ROUTES: Route[] = [
  { method: 'GET', path: /^\/api\/session$/, handle: async (c) => c.session },
  { method: 'GET', path: /^\/api\/cluster$/, handle: async (c) => ({ at: Date.now(), report: await c.health.report() }) },
  {
    method: 'GET',
    path: /^\/api\/samples$/,
    handle: async (c, r) => {
      const since = Number(r.query.get('since') ?? 0);
      return { intervalMillis: c.sampler.intervalMillis, samples: c.sampler.samples.filter((s) => s.at > since) };
    },
  },
  {
    method: 'GET',
    path: /^\/api\/topics$/,
    handle: async (c) => {
      const [topics, info] = await Promise.all([c.admin.topicList(), c.admin.clusterInfo()]);
      const clusters = Object.keys(info.clusterAddrTable);
      const named = new Set([...clusters, ...clusters.map((n) => `${n}_REPLY_TOPIC`), ...Object.keys(info.brokerAddrTable)]);
      return { topics: topics.sort().map((topic) => ({ topic, kind: kindOf(topic, named) })) };
    },
  },
  {
    method: 'GET',
    path: /^\/api\/topics\/([^/]+)$/,
    handle: async (c, r) => {
      const d = await describeTopic(c, decode(r.params[0]));
      if (d === undefined) throw new HttpError(404, `topic ${decode(r.params[0])} has no route: no broker serves it`);
      return d;
    },
  },
  {
    method: 'POST',
    path: /^\/api\/topics$/,
    audit: (r) => `create topic ${(r.body as { topic?: string }).topic}`,
    handle: async (c, r) => {
      const t = parse(CreateTopic, r.body);
      return createTopic(c, t.target, {
        topicName: t.topic,
        readQueueNums: t.readQueues,
        writeQueueNums: t.writeQueues,
        perm: t.perm,
        order: t.order,
        ...(t.messageType !== undefined ? { attributes: `+message.type=${t.messageType}` } : {}),
      });
    },
  },
  {
    method: 'DELETE',
    path: /^\/api\/topics\/([^/]+)$/,
    audit: (r) => `delete topic ${decode(r.params[0])}`,
    handle: async (c, r) => {
      const topic = decode(r.params[0]);
      parse(Confirm(topic), r.body);
      return deleteTopic(c, topic);
    },
  },
  {
    method: 'POST',
    path: /^\/api\/topics\/([^/]+)\/messages$/,
    audit: (r) => `send a message to ${decode(r.params[0])}`,
    handle: async (c, r) => {
      const topic = decode(r.params[0]);
      const m = parse(SendMessage, r.body);
      if ((await c.admin.topicRoute(topic)) === undefined) throw new HttpError(404, `topic ${topic} does not exist`);
      return c.producer().send({ topic, body: m.body, ...(m.tag !== undefined ? { tags: m.tag } : {}), ...(m.keys !== undefined ? { keys: m.keys } : {}) });
    },
  },
  { method: 'GET', path: /^\/api\/groups$/, handle: async (c) => listGroups(c) },
  {
    method: 'GET',
    path: /^\/api\/groups\/([^/]+)$/,
    handle: async (c, r): Promise<GroupPage> => {
      const group = decode(r.params[0]);
      c.sampler.watch(group);
      const progress = await describeGroup(c, group, { clientTimeoutMillis: 1_000 });
      const history = c.sampler.samples
        .filter((s) => s.queueLag[group] !== undefined)
        .map((s) => ({ at: s.at, lag: s.queueLag[group] as Record<string, number | null> }));
      history.push({ at: Date.now(), lag: Object.fromEntries(progress.queues.map((q) => [queueKey(q), q.lag])) });
      return { progress, history };
    },
  },
  {
    method: 'POST',
    path: /^\/api\/groups\/([^/]+)\/reset-offset$/,
    audit: (r) => `reset offsets of group ${decode(r.params[0])} on ${(r.body as { topic?: string }).topic}`,
    handle: async (c, r) => {
      const group = parse(groupName, decode(r.params[0]));
      const b = parse(ResetOffset, r.body);
      if (b.confirm !== group) throw new HttpError(400, `confirm: type ${group} to confirm`);
      return resetGroupOffsets(c, group, b.topic, b.timestamp, b.force);
    },
  },
  {
    method: 'GET',
    path: /^\/api\/messages$/,
    handle: async (c, r) => {
      const q = r.query;
      const topic = q.get('topic') || undefined;
      const id = q.get('id') || undefined;
      const key = q.get('key') || undefined;
      if (id !== undefined) {
        if (!/^[0-9A-Fa-f]+$/.test(id)) throw new HttpError(400, 'id: a message id is hexadecimal');
        return { messages: (await findById(c, id, topic)).map(view), truncated: false, problems: [] };
      }
      if (topic === undefined) throw new HttpError(400, 'topic: needed to search by key or by time');
      if (key !== undefined) return { messages: (await findByKey(c, topic, key, { maxNum: 64 })).map(view), truncated: false, problems: [] };
      const end = timeParam(q, 'end', Date.now() + 1);
      const r2 = await findByTime(c, topic, { begin: timeParam(q, 'begin', end - 3_600_000), end, max: 64 });
      return { ...r2, messages: r2.messages.map(view) };
    },
  },
  {
    method: 'GET',
    path: /^\/api\/dlq\/([^/]+)$/,
    handle: async (c, r) => {
      const group = parse(groupName, decode(r.params[0]));
      const end = timeParam(r.query, 'end', Date.now() + 1);
      const res = await listDlq(c, group, { begin: timeParam(r.query, 'begin', 0), end, max: 64 });
      return { ...res, messages: res.messages.map((m) => ({ ...view(m), originalTopic: originalTopicOf(m) ?? null })) };
    },
  },
  {
    method: 'POST',
    path: /^\/api\/dlq\/([^/]+)\/resend$/,
    audit: (r) => `resend ${((r.body as { ids?: unknown[] }).ids ?? []).length} dead letters of ${decode(r.params[0])}`,
    handle: async (c, r) => {
      const group = parse(groupName, decode(r.params[0]));
      return { outcomes: await resendDlq(c, group, parse(Resend, r.body).ids) };
    },
  },
];
