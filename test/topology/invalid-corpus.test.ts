/**
 * The invalid-topology corpus: one mistake per case, each asserting the exact problem lines
 * (`file:line:col  field  message`) a user sees. Cases start from BASE (a valid single-master
 * topology; its line numbers are the ones in the comments) and change one thing.
 */
import { describe, expect, it } from 'vitest';
import { parseTopology } from '../../src/topology/load.js';
import { TopologyError } from '../../src/util/problems.js';

const BASE = [
  'cluster: demo', //            1
  'mode: single-master', //      2
  'hosts:', //                   3
  '  - name: local', //          4
  '    transport: local', //     5
  'nameservers:', //             6
  '  - host: local', //          7
  '    port: 9876', //           8
  'brokers:', //                 9
  '  - name: broker-a', //       10
  '    master:', //              11
  '      host: local', //        12
  '      port: 10911', //        13
  '',
].join('\n');

const TWO_TWO = `cluster: demo
mode: 2m-2s-sync
hosts:
  - name: local
    transport: local
nameservers:
  - host: local
brokers:
  - name: broker-a
    master: {host: local, port: 10911}
    slaves:
      - {host: local, port: 10921}
  - name: broker-b
    master: {host: local, port: 10931}
    slaves:
      - {host: local, port: 10941}
`;

function edit(text: string, from: string, to: string): string {
  if (!text.includes(from)) throw new Error(`test bug: ${JSON.stringify(from)} not in text`);
  return text.replace(from, to);
}

function problems(text: string): string[] {
  try {
    parseTopology(text, 'bad.yaml');
  } catch (e) {
    if (e instanceof TopologyError) return [...e.problems];
    throw e;
  }
  return [];
}

const SSH_HOST = '  - name: mq1\n    address: 10.0.0.11\n';

const cases: [string, string, string[]][] = [
  ['the base is valid', BASE, []],
  ['unknown top-level key with a close match', edit(BASE, 'mode:', 'mdoe: single-master\nmode:'), [
    'bad.yaml:2:1  mdoe  unknown key (did you mean mode?)',
  ]],
  ['unknown host field', edit(BASE, '    transport: local', '    transport: local\n    adress: 127.0.0.1'), [
    'bad.yaml:6:5  hosts[0].adress  unknown key (did you mean address?)',
  ]],
  ['unknown key without a close match lists the expected keys', edit(BASE, '      port: 10911', '      port: 10911\n      colour: blue'), [
    'bad.yaml:14:7  brokers[0].master.colour  unknown key (expected one of: host, port, haPort, grpcPort, metricsPort, brokerIP1, overrides)',
  ]],
  ['missing cluster', edit(BASE, 'cluster: demo\n', ''), [
    'bad.yaml:1:1  cluster  missing (expected a cluster name: a string)',
  ]],
  ['cluster name with a space', edit(BASE, 'cluster: demo', 'cluster: my demo'), [
    'bad.yaml:1:10  cluster  invalid value "my demo" (expected letters, digits, - and _, starting with a letter or digit)',
  ]],
  ['unknown mode name', edit(BASE, 'mode: single-master', 'mode: 3m-3s'), [
    'bad.yaml:2:7  mode  invalid value "3m-3s" (expected one of single-master, multi-master, 2m-2s-async, 2m-2s-sync, or {masters, slavesPerMaster, replication})',
  ]],
  ['general mode with a bad replication', edit(BASE, 'mode: single-master', 'mode: {masters: 1, replication: quorum}'), [
    'bad.yaml:2:33  mode.replication  invalid value "quorum" (expected sync or async)',
  ]],
  ['general mode: sync replication without slaves', edit(BASE, 'mode: single-master', 'mode: {masters: 1, replication: sync}'), [
    'bad.yaml:2:33  mode.replication  sync replication needs a slave to wait for (expected slavesPerMaster >= 1, or replication: async)',
  ]],
  ['flush mode misspelt', edit(BASE, 'mode: single-master', 'mode: single-master\nflush: fsync'), [
    'bad.yaml:3:8  flush  invalid value "fsync" (expected sync or async)',
  ]],
  ['mode needs more groups than given', edit(BASE, 'mode: single-master', 'mode: multi-master'), [
    'bad.yaml:10:3  brokers  mode multi-master needs at least 2 broker groups, found 1 (expected more groups)',
  ]],
  ['2m-2s-sync group without its slave', edit(TWO_TWO, '    slaves:\n      - {host: local, port: 10941}\n', ''), [
    'bad.yaml:13:5  brokers[1]  mode 2m-2s-sync needs 1 slave per group, found 0 (expected 1)',
  ]],
  ['single-master with a slave', edit(BASE, '      port: 10911', '      port: 10911\n    slaves:\n      - {host: local, port: 10921}'), [
    'bad.yaml:15:7  brokers[0].slaves  mode single-master needs 0 slaves per group, found 1 (expected 0)',
  ]],
  ['broker group names not unique', edit(edit(TWO_TWO, 'broker-b', 'broker-a'), '10931', '10951'), [
    'bad.yaml:13:11  brokers[1].name  broker group name "broker-a" is already used by brokers[0] (expected unique names)',
  ]],
  ['host names not unique', edit(BASE, '    transport: local\n', `    transport: local\n  - name: local\n    address: 10.0.0.11\n`), [
    'bad.yaml:6:11  hosts[1].name  host name "local" is already used by hosts[0] (expected unique host names)',
  ]],
  ['two local hosts', edit(BASE, '    transport: local\n', '    transport: local\n  - name: here\n    transport: local\n'), [
    'bad.yaml:7:16  hosts[1].transport  host "local" is already the local host (expected at most one host with transport: local)',
  ]],
  ['NameServer on an unknown host', edit(BASE, '  - host: local\n    port: 9876', '  - host: lcoal\n    port: 9876'), [
    'bad.yaml:7:11  nameservers[0].host  unknown host "lcoal" (did you mean local?)',
  ]],
  ['broker on an unknown host, nothing close', edit(BASE, '      host: local', '      host: db7'), [
    'bad.yaml:12:13  brokers[0].master.host  unknown host "db7" (expected one of: local)',
  ]],
  ['ssh host without an address', edit(BASE, '    transport: local\n', '    transport: local\n  - name: mq1\n    ssh: {user: root}\n'), [
    'bad.yaml:6:5  hosts[1]  missing address (expected the IPv4 address or DNS name to reach this host over SSH)',
  ]],
  ['address that is not an address', edit(BASE, '    transport: local\n', '    transport: local\n  - name: mq1\n    address: "10.0.0.1; rm -rf /"\n'), [
    'bad.yaml:7:14  hosts[1].address  invalid value "10.0.0.1; rm -rf /" (expected an address: an IPv4 address or a DNS name; IPv6 is not supported)',
  ]],
  ['local host with systemd', edit(BASE, '    transport: local', '    transport: local\n    supervisor: systemd'), [
    'bad.yaml:6:17  hosts[0].supervisor  a local host runs its processes without systemd (expected process, or leave it out)',
  ]],
  ['jump host that does not exist', edit(BASE, '    transport: local\n', `    transport: local\n${SSH_HOST}    ssh: {jumpHost: bastoin}\n  - name: bastion\n    address: 10.0.0.1\n`), [
    'bad.yaml:8:21  hosts[1].ssh.jumpHost  unknown host "bastoin" (did you mean bastion?)',
  ]],
  ['jump hosts in a loop', edit(BASE, '    transport: local\n', `    transport: local\n  - name: a\n    address: 10.0.0.1\n    ssh: {jumpHost: b}\n  - name: b\n    address: 10.0.0.2\n    ssh: {jumpHost: a}\n`), [
    'bad.yaml:8:21  hosts[1].ssh.jumpHost  jump hosts form a loop through "a" (expected a chain that ends)',
    'bad.yaml:11:21  hosts[2].ssh.jumpHost  jump hosts form a loop through "b" (expected a chain that ends)',
  ]],
  ['identity file path with a shell metacharacter', edit(BASE, '    transport: local\n', `    transport: local\n${SSH_HOST}    ssh: {identityFile: "~/.ssh/id$(whoami)"}\n`), [
    'bad.yaml:8:25  hosts[1].ssh.identityFile  "~/.ssh/id$(whoami)" may only contain letters, digits and . _ @ % + , - between \'/\' (no spaces or shell metacharacters) (expected an absolute path or ~/…)',
  ]],
  ['store root that is relative', edit(BASE, 'mode: single-master', 'mode: single-master\nstoreRoot: data/rmq'), [
    'bad.yaml:3:12  storeRoot  "data/rmq" must be an absolute path (expected an absolute path)',
  ]],
  ['store root with a newline smuggled in', edit(BASE, 'mode: single-master', 'mode: single-master\nstoreRoot: "/data\\nbrokerRole=SLAVE"'), [
    'bad.yaml:3:12  storeRoot  "/data\\nbrokerRole=SLAVE" may only contain letters, digits and . _ @ % + , - between \'/\' (no spaces or shell metacharacters) (expected an absolute path)',
  ]],
  ['port out of range', edit(BASE, 'port: 9876', 'port: 98760'), [
    'bad.yaml:8:11  nameservers[0].port  invalid value 98760 (expected a port number 1-65535)',
  ]],
  ['port as a string', edit(BASE, 'port: 9876', 'port: "9876a"'), [
    'bad.yaml:8:11  nameservers[0].port  invalid value "9876a" (expected a port number 1-65535)',
  ]],
  ['privileged port', edit(BASE, 'port: 9876', 'port: 876'), [
    'bad.yaml:8:11  nameservers[0].port  port 876 needs root to bind; the service runs unprivileged (expected 1024-65535)',
  ]],
  ['broker port whose fast channel is privileged', edit(BASE, 'port: 10911', 'port: 1025'), [
    'bad.yaml:13:13  brokers[0].master.port  port 1025 puts the fast channel (port-2) at 1023, which needs root to bind (expected 1026-65535)',
  ]],
  ['broker at the top of the port range has no room for HA', edit(BASE, 'port: 10911', 'port: 65535'), [
    'bad.yaml:13:13  brokers[0].master.port  the HA port defaults to port+1 = 65536, out of range (expected port <= 65534, or an explicit haPort)',
  ]],
  ['slave listen port on its master\'s HA port', edit(TWO_TWO, 'port: 10921', 'port: 10912'), [
    "bad.yaml:12:29  brokers[0].slaves[0].port  broker-a-1's listen port 10912 and HA (port+1) port 10913 are already broker-a-0's HA (port+1) and gRPC (port+2) ports on this machine (expected distinct ports; a broker takes port-2, port, port+1 and its gRPC port, port+2 unless set)",
  ]],
  ['broker fast channel on the NameServer port', edit(BASE, 'port: 10911', 'port: 9878'), [
    "bad.yaml:13:13  brokers[0].master.port  broker-a-0's fast channel (port-2) port 9876 is already namesrv-1's listen port on this machine (expected distinct ports; a broker takes port-2, port, port+1 and its gRPC port, port+2 unless set)",
  ]],
  ['broker at the top of the port range has no room for its default gRPC port', edit(BASE, '      port: 10911', '      port: 65534\n      haPort: 20000'), [
    'bad.yaml:13:13  brokers[0].master.port  the gRPC port defaults to port+2 = 65536, out of range (expected port <= 65533, or an explicit grpcPort, or grpcPort: 0 for none)',
  ]],
  ['explicit gRPC port equal to a NameServer port', edit(BASE, '      port: 10911', '      port: 10911\n      grpcPort: 9876'), [
    "bad.yaml:14:17  brokers[0].master.grpcPort  broker-a-0's gRPC port 9876 is already namesrv-1's listen port on this machine (expected distinct ports; a broker takes port-2, port, port+1 and its gRPC port, port+2 unless set)",
  ]],
  ['gRPC port not a port', edit(BASE, '      port: 10911', '      port: 10911\n      grpcPort: -1'), [
    'bad.yaml:14:17  brokers[0].master.grpcPort  invalid value -1 (expected a port number 1-65535, or 0 for no gRPC endpoint)',
  ]],
  ['explicit HA port equal to its own listen port', edit(BASE, '      port: 10911', '      port: 10911\n      haPort: 10911'), [
    "bad.yaml:14:15  brokers[0].master.haPort  broker-a-0's HA port 10911 is already its own listen port on this machine (expected distinct ports; a broker takes port-2, port, port+1 and its gRPC port, port+2 unless set)",
  ]],
  ['two NameServers on one port (NameServer default port)', edit(BASE, '  - host: local\n    port: 9876', '  - host: local\n  - host: local'), [
    "bad.yaml:8:5  nameservers[1]  namesrv-2's listen port 9876 is already namesrv-1's listen port on this machine (expected distinct ports; a broker takes port-2, port, port+1 and its gRPC port, port+2 unless set)",
  ]],
  ['same ports on an SSH host at a loopback address clash with the local host', edit(edit(BASE, '    transport: local\n', '    transport: local\n  - name: self\n    address: 127.0.0.1\n'), '  - host: local\n    port: 9876', '  - host: self\n    port: 10912'), [
    "bad.yaml:15:13  brokers[0].master.port  broker-a-0's HA (port+1) port 10912 is already namesrv-1's listen port on this machine (expected distinct ports; a broker takes port-2, port, port+1 and its gRPC port, port+2 unless set)",
  ]],
  ['broker on a host with a DNS name and no brokerIP1', edit(edit(BASE, '    transport: local\n', '    transport: local\n  - name: mq1\n    address: mq1.example.com\n'), '      host: local', '      host: mq1').replace('  - host: local', '  - host: mq1'), [
    'bad.yaml:14:13  brokers[0].master.host  host "mq1" has the DNS name "mq1.example.com"; clients need the broker\'s IP (expected brokerIP1: <IPv4 address> on this node)',
  ]],
  ['remote broker would reach a NameServer on loopback', edit(edit(BASE, '    transport: local\n', `    transport: local\n${SSH_HOST}`), '      host: local', '      host: mq1'), [
    'bad.yaml:9:11  nameservers[0].host  brokers on host "mq1" would reach this NameServer at 127.0.0.1, their own loopback (expected host "local" to have an address reachable from "mq1")',
  ]],
  ['brokerIP1 that is not IPv4', edit(BASE, '      port: 10911', '      port: 10911\n      brokerIP1: "::1"'), [
    'bad.yaml:14:18  brokers[0].master.brokerIP1  invalid value "::1" (expected an IPv4 address)',
  ]],
  ['override of an unknown broker key', edit(BASE, '      port: 10911', '      port: 10911\n    overrides:\n      fileReserveTime: 24'), [
    'bad.yaml:15:7  brokers[0].overrides.fileReserveTime  unknown broker.properties key (did you mean fileReservedTime?)',
  ]],
  ['override of a key the topology owns', edit(BASE, '      port: 10911', '      port: 10911\n      overrides: {brokerRole: SLAVE}'), [
    'bad.yaml:14:19  brokers[0].master.overrides.brokerRole  brokerRole is set by the topology (expected it through mode, not an override)',
  ]],
  ['override with a value of the wrong type', edit(BASE, '      port: 10911', '      port: 10911\noverrides:\n  broker:\n    autoCreateTopicEnable: "yes"'), [
    'bad.yaml:16:28  overrides.broker.autoCreateTopicEnable  "yes" is not a boolean (expected true or false)',
  ]],
  ['override with a value out of range', edit(BASE, '      port: 10911', '      port: 10911\noverrides:\n  broker:\n    diskMaxUsedSpaceRatio: 99'), [
    'bad.yaml:16:28  overrides.broker.diskMaxUsedSpaceRatio  99 is too large (expected an integer 10-95)',
  ]],
  ['namesrv override of an unknown key', edit(BASE, '    port: 9876', '    port: 9876\n    overrides: {brokerExpiryMilis: 5000}'), [
    'bad.yaml:9:17  nameservers[0].overrides.brokerExpiryMilis  unknown namesrv.properties key (did you mean brokerExpiryMillis?)',
  ]],
  ['override value with a newline', edit(BASE, '      port: 10911', '      port: 10911\n    overrides:\n      msgTraceTopicName: "T\\nbrokerRole=SLAVE"'), [
    'bad.yaml:15:26  brokers[0].overrides.msgTraceTopicName  contains a control character (newline, tab, …) (expected letters, digits, - and _)',
  ]],
  ['inSyncReplicas larger than the group', edit(TWO_TWO, '  - name: broker-b\n', '    overrides: {inSyncReplicas: 3}\n  - name: broker-b\n'), [
    'bad.yaml:13:33  brokers[0].overrides.inSyncReplicas  3 replicas cannot be in sync in group broker-a of 2 nodes (expected at most 2)',
  ]],
  ['two commit logs in one directory', edit(TWO_TWO, 'mode: 2m-2s-sync', 'mode: 2m-2s-sync\noverrides:\n  broker:\n    storePathCommitLog: /data/commitlog'), [
    "bad.yaml:5:25  overrides.broker.storePathCommitLog  broker-a-1 would store in /data/commitlog, which overlaps broker-a-0's /data/commitlog on the same machine (expected separate directories)",
    "bad.yaml:5:25  overrides.broker.storePathCommitLog  broker-b-0 would store in /data/commitlog, which overlaps broker-a-0's /data/commitlog on the same machine (expected separate directories)",
    "bad.yaml:5:25  overrides.broker.storePathCommitLog  broker-b-1 would store in /data/commitlog, which overlaps broker-a-0's /data/commitlog on the same machine (expected separate directories)",
  ]],
  ['deleteWhen that is not an hour', edit(BASE, 'mode: single-master', 'mode: single-master\nretention:\n  deleteWhen: "25"'), [
    'bad.yaml:4:15  retention.deleteWhen  "25" is not a list of hours (expected hours 00-23, two digits, \';\'-separated (e.g. 04 or 01;13))',
  ]],
  ['YAML syntax error', edit(BASE, '  - name: broker-a', '  - name: [broker-a'), [
    'bad.yaml:11:5  (file)  YAML syntax: Flow sequence in block collection must be sufficiently indented and end with a ]',
  ]],
  ['duplicate YAML key', edit(BASE, 'mode: single-master', 'mode: single-master\nmode: multi-master'), [
    'bad.yaml:3:1  (file)  YAML syntax: Map keys must be unique',
  ]],
  ['not a map at all', '- just\n- a list\n', [
    'bad.yaml:1:1  (file)  the file holds a list (expected a map with cluster, mode, hosts, nameservers and brokers)',
  ]],
  ['empty broker list', edit(BASE, BASE.slice(BASE.indexOf('brokers:')), 'brokers: []\n'), [
    'bad.yaml:9:10  brokers  invalid value a list (expected at least one broker group)',
  ]],
];

describe('invalid topology corpus', () => {
  it.each(cases)('%s', (_name, text, expected) => {
    expect(problems(text)).toEqual(expected);
  });

  it('has at least 25 distinct mistakes', () => {
    expect(cases.filter(([, , p]) => p.length > 0).length).toBeGreaterThanOrEqual(25);
  });

  it('reports every problem of a file at once, sorted by position', () => {
    let text = edit(BASE, 'mode: single-master', 'mode: single-master\nflsh: async');
    text = edit(text, 'port: 9876', 'port: 876');
    text = edit(text, '      host: local', '      host: nowhere');
    expect(problems(text)).toEqual([
      'bad.yaml:3:1  flsh  unknown key (did you mean flush?)',
      'bad.yaml:9:11  nameservers[0].port  port 876 needs root to bind; the service runs unprivileged (expected 1024-65535)',
      'bad.yaml:13:13  brokers[0].master.host  unknown host "nowhere" (expected one of: local)',
    ]);
  });
});
