/**
 * The data of the one health judge (judge.ts): what is expected (a topology's nodes, or only what
 * the NameServers know), the facts gathered over the wire and from the supervisors (facts.ts), and
 * the report: per NameServer and per broker node whether it is healthy and, when not, each problem
 * with what to run. `rmqctl status` prints it; deploy's gates and start/restart wait on it.
 */
import type { HaRuntimeInfo } from '../../protocol/ha-runtime-info.js';
import type { NameServerProbe } from '../../client/admin.js';

export interface ExpectedNameServer {
  id: string;
  /** Where this machine reaches it (the host's address). */
  addr: string;
  host?: string;
}

export interface ExpectedBroker {
  /** `<brokerName>-<brokerId>`. */
  id: string;
  cluster: string;
  brokerName: string;
  brokerId: number;
  /** Advertised address (`brokerIP1:listenPort`): what it registers and clients are routed to. */
  addr: string;
  /** Where this machine reaches the process (the host's address); default `addr`. */
  directAddr?: string;
  host?: string;
  /** Slaves: the master HA address they should follow (`brokerIP1:haPort` of the group's master). */
  masterHaAddr?: string;
  /** The group replicates synchronously (SYNC_MASTER): sends wait for its slaves. */
  sync?: boolean;
}

export interface Expectation {
  /** How the operator names the topology (file or preset), for the commands a problem suggests. */
  topology?: string;
  nameservers: ExpectedNameServer[];
  brokers: ExpectedBroker[];
}

/** What a node's supervisor says about its process (systemd or the process supervisor). */
export interface ProcessState {
  running: boolean;
  /** e.g. `active/running`, `failed/failed`, `running`, `stopped`, `stale`. */
  state: string;
  /** It ran and died (failed, crash-looping, a pid file of a dead process). */
  exited: boolean;
  pid?: number;
  /** ms since the epoch, when the current run started. */
  startedAt?: number;
}

/** The supervisor's view of a node; rejects when the node's host cannot be asked. */
export type ProcessProbe = (nodeId: string) => Promise<ProcessState>;

/** A broker's v5 gRPC endpoint (runtime info `grpcServerPort`) and whether it answered the v5 protocol from here. */
export interface GrpcEndpointFacts {
  /** `host:grpcServerPort`, the host being the address the broker was asked at. */
  endpoint: string;
  answers: boolean;
  latencyMillis?: number;
  error?: string;
}

export type BrokerFacts = { runtime: Record<string, string>; ha?: HaRuntimeInfo; haError?: string; grpc?: GrpcEndpointFacts } | { error: string };

/** Everything the judge looks at, gathered at one moment. */
export interface ClusterFacts {
  /** Every NameServer asked, in the order given. */
  probes: NameServerProbe[];
  /** Each broker's answers, by the address it was asked at. */
  brokers: ReadonlyMap<string, BrokerFacts>;
  /** Advertised addresses that differ from where the process is reached: undefined = it answered, else the error. */
  advertised: ReadonlyMap<string, string | undefined>;
  /** Per node id, the supervisor's view (or why it could not be asked). */
  processes: ReadonlyMap<string, ProcessState | { error: string }>;
}

export type HealthCheckName = 'process' | 'protocol' | 'registered' | 'advertised' | 'writable' | 'replication' | 'in-sync' | 'grpc';

export interface NodeProblem {
  check: HealthCheckName;
  /** What is wrong, after the node's name: "is not running: the process exited (failed/failed)". */
  message: string;
  /** What to run or do about it. */
  fix?: string;
  /** Waiting will not help (a crashed process, a port held by another process, a wrong advertised address). */
  fatal?: boolean;
  /**
   * Not a fault now, but a rolling step waits for it to clear: a SYNC slave still catching up (sends
   * succeed, they wait for it). Reported as a warning by status; the node stays healthy.
   */
  gateOnly?: boolean;
}

export interface NameServerStatus {
  addr: string;
  /** Node id when a topology names it. */
  id?: string;
  reachable: boolean;
  error?: string;
  latencyMillis?: number;
  /** Brokers this NameServer has registered. */
  brokerCount?: number;
  pid?: number;
  process?: ProcessState;
  healthy: boolean;
  problems: NodeProblem[];
}

export interface NodeReplication {
  /** ASYNC_MASTER | SYNC_MASTER | SLAVE, as the broker says. */
  brokerRole?: string;
  commitLogMaxOffset?: number;
  /** Master: `serving`. Slave: its HA client's state (`replicating`, `verifying`, `connecting`, `idle`, `diverged`, `halted`). */
  haState?: string;
  /** Slave: the master HA address it follows. */
  masterHaAddr?: string;
  /** Slave: bytes its master has that it has not acknowledged, and how old the oldest of them is. */
  lagBytes?: number;
  lagMillis?: number;
  /** Slave: its master counts it in sync (a SYNC send can be acknowledged with it). */
  inSync?: boolean;
  /** Master: slaves connected over HA, and how many of them are in sync. */
  slavesConnected?: number;
  slavesInSync?: number;
  /** Master: acknowledgements a SYNC_MASTER send waits for. */
  acksNeeded?: number;
  /** Why a slave is not replicating (divergence, connection failure). */
  reason?: string;
  /** The broker did not answer. */
  error?: string;
}

export interface BrokerNodeStatus {
  id: string;
  brokerName: string;
  brokerId: number;
  role: 'master' | 'slave';
  /** Registered address (undefined when no NameServer knows the node). */
  addr?: string;
  /** Address the topology expects, when it differs or the node is missing. */
  expectedAddr?: string;
  /** ms since the freshest full registration any NameServer saw; undefined when unknown. */
  lastRegistrationAgeMillis?: number;
  /** ms since the freshest registration or keep-alive. */
  lastHeartbeatAgeMillis?: number;
  /** NameServers that have the node registered. */
  knownBy: string[];
  /** Listed by the topology. */
  expected: boolean;
  /** Expected but no reachable NameServer knows it. */
  missing: boolean;
  /** `up` (healthy), `DOWN` (not running / not answering), `MISSING` (not registered), `UNHEALTHY` (answers, but see problems). */
  state: 'up' | 'DOWN' | 'MISSING' | 'UNHEALTHY';
  /** The broker's pid: from its supervisor, else from the broker itself. */
  pid?: number;
  process?: ProcessState;
  /** Accepts writes now (masters; undefined when unknown). */
  writable?: boolean;
  /** What the broker itself says about its log and replication. */
  replication?: NodeReplication;
  /** Its v5 gRPC endpoint, when it serves one. */
  grpc?: GrpcEndpointFacts;
  healthy: boolean;
  problems: NodeProblem[];
}

export interface BrokerGroupStatus {
  brokerName: string;
  nodes: BrokerNodeStatus[];
}

export interface ClusterStatus {
  name: string;
  groups: BrokerGroupStatus[];
}

export interface HealthReport {
  nameservers: NameServerStatus[];
  clusters: ClusterStatus[];
  /** Every problem of every node, one sentence each with what to run, and those of the cluster as a whole. */
  problems: string[];
  warnings: string[];
  healthy: boolean;
}

/** The report's broker nodes, flattened. */
export const brokerNodes = (r: HealthReport): BrokerNodeStatus[] => r.clusters.flatMap((c) => c.groups.flatMap((g) => g.nodes));
