/**
 * ACL permissions (apache/rocketmq acl `Permission`): bit values, the strings of plain_acl.yml,
 * and the check of a needed permission against an owned one.
 */

export const Perm = { DENY: 1, ANY: 2, PUB: 4, SUB: 8 } as const;
export type PermBits = number;

/** The permission strings plain_acl.yml accepts (RocketMQ reads anything else as DENY; we refuse it). */
export const PERM_STRINGS = ['DENY', 'PUB', 'SUB', 'PUB|SUB', 'SUB|PUB'] as const;
export type PermString = (typeof PERM_STRINGS)[number];

export function parsePerm(s: PermString): PermBits {
  switch (s) {
    case 'PUB':
      return Perm.PUB;
    case 'SUB':
      return Perm.SUB;
    case 'PUB|SUB':
    case 'SUB|PUB':
      return Perm.PUB | Perm.SUB;
    case 'DENY':
      return Perm.DENY;
  }
}

export function permLabel(p: PermBits): string {
  if (p & Perm.DENY) return 'DENY';
  const parts = [p & Perm.PUB ? 'PUB' : '', p & Perm.SUB ? 'SUB' : ''].filter(Boolean);
  return parts.length > 0 ? parts.join('|') : 'DENY';
}

/** `Permission.checkPermission`: DENY wins; ANY is satisfied by PUB or SUB; else any shared bit. */
export function permits(needed: PermBits, owned: PermBits): boolean {
  if (owned & Perm.DENY) return false;
  if (needed & Perm.ANY) return (owned & (Perm.PUB | Perm.SUB)) !== 0;
  return (needed & owned) !== 0;
}
