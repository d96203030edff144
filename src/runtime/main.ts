/**
 * rmqd: the bundled runtime. One file, two roles:
 *   rmqd namesrv -c namesrv.properties
 *   rmqd broker  -c broker.properties
 */
const USAGE = 'usage: rmqd namesrv -c <namesrv.properties> | rmqd broker -c <broker.properties>';

function main(argv: string[]): void {
  const role = argv[0];
  if (role !== 'namesrv' && role !== 'broker') {
    process.stderr.write(`${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  process.stderr.write(`rmqd ${role}: not implemented yet\n`);
  process.exitCode = 1;
}

main(process.argv.slice(2));
