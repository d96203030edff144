/**
 * Paths on a host that the deploy manages beyond the rendered FileSet, derived from the host's
 * layout (contract: /opt/rmqctl/{releases,current,bin/node}, /etc/rmqctl/<cluster>).
 */
import path from 'node:path';
import type { HostLayout, NodeId } from '../topology/index.js';

/** The release directory of a runtime release id. */
export const releaseDir = (layout: HostLayout, id: string) => path.posix.join(layout.releasesDir, id);

/** `previous` → the release `current` pointed at before the last switch (for rollback). */
export const previousLink = (layout: HostLayout) => path.posix.join(path.posix.dirname(layout.currentLink), 'previous');

/**
 * A node whose files changed but that has not yet been restarted healthy carries this marker, so
 * a deploy that stopped half-way (another host failed, a health check failed) restarts it on the
 * next run even though its files are already up to date.
 */
export const pendingRestartPath = (layout: HostLayout, node: NodeId) => path.posix.join(layout.configDir, `${node}.restart-pending`);
