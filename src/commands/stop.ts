import { nodeControlCommand } from './support/node-control.js';

export default nodeControlCommand('stop', "Stop a cluster's nodes (or the selected ones): SIGTERM, then SIGKILL after the grace period.");
