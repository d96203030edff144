import { describe, expect, it } from 'vitest';
import { replicationProblem } from '../../../src/ops/health/replication.js';
import type { HaRuntimeInfo } from '../../../src/protocol/ha-runtime-info.js';

// A slave's GET_BROKER_HA_STATUS as rmqd reports it (src/broker/ha/replication.ts runtimeInfo).
const slave = (client: Partial<HaRuntimeInfo['haClientRuntimeInfo']>, master = false): HaRuntimeInfo => ({
  master,
  masterCommitLogMaxOffset: 0,
  inSyncSlaveNums: 0,
  haConnectionInfo: [],
  haClientRuntimeInfo: { masterAddr: '10.0.0.1:10912', transferredByteInSecond: 0, maxOffset: 1000, lastReadTimestamp: 0, lastWriteTimestamp: 0, masterFlushOffset: 0, state: 'replicating', ...client },
});
const expectation = { masterHaAddr: '10.0.0.1:10912', masterMaxOffset: 1500, maxLagBytes: 1024 };

describe('replicationProblem', () => {
  it('passes a replicating slave within the lag bound, and one whose broker reports no state (Java)', () => {
    expect(replicationProblem(slave({}), expectation)).toBeUndefined();
    expect(replicationProblem(slave({ state: undefined }), expectation)).toBeUndefined();
  });
  it('names what is wrong: a master, not replicating (with the reason), the wrong master, too far behind', () => {
    expect(replicationProblem(slave({}, true), expectation)).toBe('reports itself as a master in its HA status, expected a slave');
    expect(replicationProblem(slave({ state: 'connecting', reason: 'connect ECONNREFUSED 10.0.0.1:10912' }), expectation)).toBe(
      'is not replicating from its master (HA state connecting: connect ECONNREFUSED 10.0.0.1:10912; expected to follow 10.0.0.1:10912)',
    );
    expect(replicationProblem(slave({ masterAddr: '10.0.0.9:10912' }), expectation)).toBe('replicates from 10.0.0.9:10912, expected its master at 10.0.0.1:10912');
    expect(replicationProblem(slave({ maxOffset: 100 }), expectation)).toBe('is behind its master by 1400 bytes (slave at 100, master at 1500; limit 1024)');
  });
});
