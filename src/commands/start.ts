import { nodeControlCommand } from './support/node-control.js';

export default nodeControlCommand('start', "Start a cluster's nodes (or the selected ones) and wait until each is healthy.");
