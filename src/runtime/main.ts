/**
 * rmqd: the bundled runtime. One file, one process per role:
 *   rmqd namesrv -c namesrv.properties
 *   rmqd broker  -c broker.properties [--io-threads N]
 * A role is an entry of ROLES: a function that takes the arguments after the role name and runs
 * until the process is signalled (see lifecycle.ts). The same file is the entry of a broker's
 * network thread (a worker marked by its workerData; docs/design/io-thread.md).
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { isIoThreadData } from '../remoting/io-thread/messages.js';
import { runNetworkThread } from '../remoting/io-thread/network-thread.js';
import { runBroker } from './broker.js';
import { runNamesrv } from './namesrv.js';

type RoleMain = (argv: readonly string[]) => Promise<void>;

const ROLES: Record<string, RoleMain> = {
  namesrv: runNamesrv,
  broker: runBroker,
};

const USAGE = 'usage: rmqd namesrv -c <namesrv.properties> | rmqd broker -c <broker.properties> [--io-threads N]';

function main(argv: string[]): void {
  const role = argv[0];
  if (role !== 'namesrv' && role !== 'broker') {
    process.stderr.write(`${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  const run = ROLES[role];
  if (run === undefined) {
    process.stderr.write(`rmqd ${role}: not implemented yet\n`);
    process.exitCode = 1;
    return;
  }
  void run(argv.slice(1));
}

if (!isMainThread && isIoThreadData(workerData) && parentPort !== null) runNetworkThread(parentPort, workerData);
else main(process.argv.slice(2));
