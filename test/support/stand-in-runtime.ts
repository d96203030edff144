/**
 * A stand-in for the rmqd runtime, for deploy tests that need processes to supervise before the
 * real NameServer/Broker exist: `rmqd.js <role> -c <file>` reads `listenPort` from the properties
 * file and listens there (a real process on a real socket); `fail=true` makes it exit at once.
 */
import { releaseOf, type RuntimeRelease } from '../../src/render/index.js';

const SOURCE = `import fs from 'node:fs';
import net from 'node:net';
const [role, , config] = process.argv.slice(2);
const props = Object.fromEntries(fs.readFileSync(config, 'utf8').split('\\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
if (props.fail === 'true') { console.error(role + ': refusing to start: fail=true in ' + config); process.exit(1); }
const server = net.createServer((s) => s.end()).listen(Number(props.listenPort), () => console.log(role + ' listening on ' + props.listenPort + ' tag=' + (props.tag ?? '') + ' cluster=' + (process.env.RMQ_CLUSTER ?? '')));
process.on('SIGTERM', () => { console.log(role + ' stopping'); server.close(); process.exit(0); });
`;

export function standInRelease(tag = ''): RuntimeRelease {
  return releaseOf(Buffer.from(`${SOURCE}// ${tag}\n`));
}
