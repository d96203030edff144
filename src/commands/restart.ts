import { nodeControlCommand } from './support/node-control.js';

export default nodeControlCommand('restart', "Restart a cluster's nodes (or the selected ones) rolling, each gated on health.");
