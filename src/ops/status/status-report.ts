/**
 * The data of `rmqctl status`: what the NameServers report per cluster, broker group and node, what
 * a topology expects, and what each broker says of its replication. Built by cluster-status.ts,
 * completed by replication-status.ts, printed by the status command.
 */

export interface ExpectedNameServer {
  id: string;
  addr: string;
}

export interface ExpectedBroker {
  /** `<brokerName>-<brokerId>`. */
  id: string;
  cluster: string;
  brokerName: string;
  brokerId: number;
  addr: string;
}

export interface Expectation {
  nameservers: ExpectedNameServer[];
  brokers: ExpectedBroker[];
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
  /** What the broker itself says about its log and replication (replication-status.ts). */
  replication?: NodeReplication;
  /** Its v5 gRPC endpoint, when it has one (grpc-status.ts). */
  grpc?: NodeGrpc;
}

export interface NodeGrpc {
  /** `address:grpcServerPort` (the address it registered with). */
  endpoint: string;
  /** It answered the v5 protocol. */
  answers: boolean;
  latencyMillis?: number;
  error?: string;
}

export interface BrokerGroupStatus {
  brokerName: string;
  nodes: BrokerNodeStatus[];
}

export interface ClusterStatus {
  name: string;
  groups: BrokerGroupStatus[];
}

export interface StatusReport {
  nameservers: NameServerStatus[];
  clusters: ClusterStatus[];
  problems: string[];
  warnings: string[];
  healthy: boolean;
}

export interface NodeReplication {
  /** ASYNC_MASTER | SYNC_MASTER | SLAVE, as the broker says. */
  brokerRole?: string;
  commitLogMaxOffset?: number;
  /**
   * Master: `serving` (slaves connected: slavesInSync/slavesConnected). Slave: its HA client's state
   * (`replicating`, `verifying`, `connecting`, `idle`, `diverged`, `halted`).
   */
  haState?: string;
  /** Slave: the master HA address it follows. */
  masterHaAddr?: string;
  /** Slave: bytes its master has that it has not acknowledged, and how old the oldest of them is. */
  lagBytes?: number;
  lagMillis?: number;
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
