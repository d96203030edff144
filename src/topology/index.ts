/** The topology layer: load + validate a topology file, and the ClusterModel built from it. */
export { loadTopology, parseTopology, type LoadedTopology } from './load.js';
export { buildClusterModel } from './model.js';
export type {
  BoundPort,
  BrokerGroupModel,
  BrokerNode,
  ClusterModel,
  ClusterNode,
  EffectiveProperty,
  EtcdMemberModel,
  FailoverModel,
  HostModel,
  ModelOptions,
  NameServerNode,
  NodeId,
  NodeRole,
  SshSettings,
} from './model.js';
export { hostByName, nodeById, nodesOnHost } from './model.js';
export { defaultStateDir, hostLayout, releaseId, SERVICE_USER, unitName, type HostLayout } from './layout.js';
export { listPresets, presetPath, resolveTopologyRef } from './presets.js';
export { formatProblem, TopologyError, type Problem } from '../util/problems.js';
export { MODE_NAMES, TopologySchema, type ModeName, type Topology, type TopologyInput } from './schema.js';
export { modeShape, type ModeShape } from './modes.js';
