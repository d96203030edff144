import { RmqError } from '../../errors.js';

/** The store found damage it cannot repair safely; it refuses to open rather than serve it. */
export class StoreCorruptionError extends RmqError {
  override readonly name: string = 'StoreCorruptionError';
  constructor(
    readonly file: string,
    readonly position: number,
    readonly detail: string,
    readonly advice = 'the store was not opened and nothing was changed; restore this broker from a replica or a backup, or move the damaged file aside only if losing its data is acceptable',
  ) {
    super(`store corruption in ${file} at byte ${position}: ${detail}; ${advice}`);
  }
}

/** Another live process holds the store directory. */
export class StoreLockedError extends RmqError {
  override readonly name: string = 'StoreLockedError';
}
