import { describe, expect, it } from 'vitest';
import { formatProblem, parseTopology } from '../../src/topology/index.js';

const text = (slaveHost: string, nameservers: string) => `cluster: demo
mode: 2m-2s-async
hosts:
  - {name: mq1, address: 10.0.0.11}
  - {name: mq2, address: 10.0.0.12}
nameservers:
${nameservers}
brokers:
  - name: broker-a
    master: {host: mq1}
    slaves: [{host: ${slaveHost}, port: 10931}]
  - name: broker-b
    master: {host: mq2}
    slaves: [{host: mq1, port: 10921}]
`;

describe('topology warnings (valid, but most likely not meant)', () => {
  it('a slave on its master’s machine and a lone NameServer across machines', () => {
    const { warnings } = parseTopology(text('mq1', '  - {host: mq1}'), 'w.yaml');
    expect(warnings.map(formatProblem)).toEqual([
      'w.yaml:7:3  nameservers  a single NameServer: while it is down no client can find a broker (expected two or more on different hosts)',
      'w.yaml:11:21  brokers[0].slaves[0].host  slave broker-a-1 runs on the same machine as its master broker-a-0: losing that machine loses both (expected another host)',
    ]);
  });

  it('none for a spread-out cluster, nor for the all-on-one-machine presets', () => {
    expect(parseTopology(text('mq2', '  - {host: mq1}\n  - {host: mq2}'), 'w.yaml').warnings).toEqual([]);
  });
});
