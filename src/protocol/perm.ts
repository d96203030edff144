/**
 * Permission bits of topics and brokers (Java `PermName`) and the topic sys-flag bits
 * (`TopicSysFlag`).
 */
export const Perm = {
  PRIORITY: 8,
  READ: 4,
  WRITE: 2,
  /** TBW102-style template: unknown topics may be created from this one. */
  INHERIT: 1,
} as const;

/** The usual read-write perm (6). */
export const PERM_RW = Perm.READ | Perm.WRITE;

export const isReadable = (perm: number): boolean => (perm & Perm.READ) !== 0;
export const isWriteable = (perm: number): boolean => (perm & Perm.WRITE) !== 0;
export const isInherited = (perm: number): boolean => (perm & Perm.INHERIT) !== 0;
/** Java `PermName.isValid`: 0 ≤ perm < PRIORITY. */
export const isValidPerm = (perm: number): boolean => Number.isInteger(perm) && perm >= 0 && perm < Perm.PRIORITY;

/** `RW-`, `R--`, `RWX` …, as `PermName.perm2String` (X = inherit). */
export function permToString(perm: number): string {
  return `${isReadable(perm) ? 'R' : '-'}${isWriteable(perm) ? 'W' : '-'}${isInherited(perm) ? 'X' : '-'}`;
}

/** Topic sys-flag bits: unit topic, topic with unit subscribers. */
export const TopicSysFlag = { UNIT: 1, UNIT_SUB: 2 } as const;
