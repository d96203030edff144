/**
 * The runtime release a deploy ships: the bundled rmqd.js and its content hash (which names its
 * release directory, /opt/rmqctl/releases/<sha256-12>/).
 */
import { readFile } from 'node:fs/promises';
import { InvalidInputError } from '../errors.js';
import { runtimeBundle } from '../paths.js';
import { releaseId } from '../topology/layout.js';
import { sha256 } from './fileset.js';

/**
 * Written next to rmqd.js in every release directory: the bundle is an ES module, and this makes
 * every Node >= 20 load it as one (not only those that detect it).
 */
export const RELEASE_PACKAGE_JSON = '{"type":"module"}\n';

export interface RuntimeRelease {
  /** `<sha256-12>`: the release directory name. */
  id: string;
  sha256: string;
  content: Buffer;
}

export function releaseOf(content: Buffer): RuntimeRelease {
  const sum = sha256(content);
  return { id: releaseId(sum), sha256: sum, content };
}

/**
 * Reads the runtime bundle (default: this package's dist/rmqd.js); with `pin` (a topology's
 * runtime.sha256, or a prefix of it) any other build is refused.
 */
export async function loadRuntimeRelease(file: string = runtimeBundle, pin?: string): Promise<RuntimeRelease> {
  let release: RuntimeRelease;
  try {
    release = releaseOf(await readFile(file));
  } catch (e) {
    throw new InvalidInputError(`cannot read the runtime bundle ${file}: ${(e as Error).message} (expected a built rmqd.js; run npm run build)`);
  }
  if (pin !== undefined && !release.sha256.startsWith(pin)) {
    throw new InvalidInputError(
      `the topology pins the runtime release ${pin} (runtime.sha256), but ${file} is release ${release.id} (sha256 ${release.sha256}): ` +
        'deploy the pinned build with --runtime FILE, or change runtime.sha256 in the topology to move to this one',
    );
  }
  return release;
}
