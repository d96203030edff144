/** Rendering: ClusterModel → per-host FileSets (pure), and the review tree writer. */
export { renderCluster, renderHost, renderDigest, renderBrokerProperties, renderNamesrvProperties, renderUnit, envFilePath } from './render.js';
export { sha256, formatMode, type DesiredDir, type DesiredEntry, type DesiredFile, type DesiredSymlink, type EntryRole, type FileSet } from './fileset.js';
export { loadRuntimeRelease, releaseOf, RELEASE_PACKAGE_JSON, type RuntimeRelease } from './release.js';
export { manifestOf, reviewPath, writeReviewTree, type ManifestEntry } from './write.js';
