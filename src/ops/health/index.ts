/** The one health judge: status, deploy's gates and start/restart/rollback decide with it. */
export { ClusterHealth } from './cluster-health.js';
export { expectationFromModel } from './expect.js';
export { FactsCollector, type FactsOptions, type FactsScope, type NodeAccess } from './facts.js';
export { DEFAULT_GATE_TIMEOUT_MS, gateProblems, gateSummary, HealthFailure, waitForGate, type GateResult, type GateSpec } from './gate.js';
export { commandsFor, DEFAULT_MAX_SLAVE_LAG_BYTES, judge, type JudgeOptions } from './judge.js';
export { registrationProblem, type ExpectedRegistration } from './registration.js';
export { replicationProblem, type ReplicationExpectation } from './replication.js';
export * from './report.js';
