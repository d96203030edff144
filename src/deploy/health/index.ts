/** Node health for deploy and day-2 operations: process, protocol, registration, advertised address, replication. */
export { ClusterHealth, DEFAULT_MAX_SLAVE_LAG_BYTES, HealthFailure, processHealth, type ClusterHealthOptions, type HealthCheck, type HealthCheckName, type HealthContext, type NodeAccess } from './checks.js';
export { registrationProblem, type ExpectedRegistration } from './registration.js';
export { replicationProblem, type ReplicationExpectation } from './replication.js';
export { DEFAULT_HEALTH_TIMEOUT_MS, waitHealthy } from './wait.js';
