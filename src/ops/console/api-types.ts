/**
 * What the console's API answers (api.ts), as the page (console/src) reads it: type-only imports
 * there, so the page and the server cannot drift. Each is the library's own type where one exists.
 */
import type { HealthReport } from '../health/index.js';
import type { BrokerProblem, GroupProgress, GroupSummary, ResetOutcome } from '../group-admin.js';
import type { BrokerOutcome, TopicDescription } from '../topic-admin.js';
import type { SendResult } from '../../client/producer.js';
import type { MessageView } from '../message-view.js';
import type { ResendOutcome } from '../dlq.js';
import type { Sample } from './sampler.js';

export interface SessionInfo {
  namesrvAddrs: string[];
  /** The topology the console was started with (file or preset), if any. */
  topology?: string;
  /** The ACL account requests are signed as (never its secret). */
  signedAs?: string;
  tls: boolean;
  intervalMillis: number;
}

export type TopicKind = 'normal' | 'retry' | 'dlq' | 'system';

export interface ClusterResponse {
  at: number;
  report: HealthReport;
}

export interface SamplesResponse {
  intervalMillis: number;
  samples: Sample[];
}

export interface TopicsResponse {
  topics: { topic: string; kind: TopicKind }[];
}

export type TopicResponse = TopicDescription;

export interface CreateTopicResponse {
  brokers: BrokerOutcome[];
  orderConf?: string;
  namesrvs?: BrokerOutcome[];
}

export interface DeleteTopicResponse {
  brokers: BrokerOutcome[];
  namesrvs: BrokerOutcome[];
}

export type SendResponse = SendResult;

export interface GroupsResponse {
  groups: GroupSummary[];
  problems: BrokerProblem[];
}

export interface GroupPage {
  progress: GroupProgress;
  /** Per sample: `topic brokerName queueId` → lag (null: unknown). */
  history: { at: number; lag: Record<string, number | null> }[];
}

export type ResetResponse = ResetOutcome;

/** A stored message as the console shows it (the record's bytes left out). */
export type ConsoleMessage = Omit<MessageView, 'storedRecord'>;

export interface MessagesResponse {
  messages: ConsoleMessage[];
  truncated: boolean;
  problems: string[];
}

export interface DlqResponse {
  messages: (ConsoleMessage & { originalTopic: string | null })[];
  truncated: boolean;
  problems: string[];
}

export interface ResendResponse {
  outcomes: ResendOutcome[];
}

export interface ApiError {
  error: string;
}
