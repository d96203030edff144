/**
 * The ACL file rmqctl renders for every node (from the topology's `acl:` section with its secrets
 * resolved), and the masked form plans and logs show: each secret as `*** <short hash>`, so a
 * changed secret is visible as a change without being shown.
 */
import { createHash } from 'node:crypto';
import type { AclSection } from '../topology/schema.js';
import type { ResolvedSecrets } from '../topology/secrets.js';


const q = (s: string) => JSON.stringify(s); // a double-quoted YAML scalar

export function renderAclFile(cluster: string, acl: AclSection, secrets: ResolvedSecrets): string {
  const secretOf = (ak: string) => {
    const s = secrets.get(ak);
    if (s === undefined) throw new Error(`ACL secret of ${ak} not resolved`);
    return s;
  };
  const lines = [
    `# ACL of cluster ${cluster} (RocketMQ plain_acl.yml shape), rendered by rmqctl from the topology's acl: section.`,
    '# Holds secrets: mode 0600, owned by the service user. Changes take effect within seconds (rmqd re-reads it).',
  ];
  const white = acl.globalWhiteRemoteAddresses ?? [];
  lines.push(white.length === 0 ? 'globalWhiteRemoteAddresses: []' : 'globalWhiteRemoteAddresses:', ...white.map((a) => `  - ${q(a)}`));
  lines.push('accounts:');
  const accounts = [{ accessKey: acl.admin.accessKey, admin: true }, ...acl.accounts];
  for (const a of accounts) {
    lines.push(`  - accessKey: ${q(a.accessKey)}`, `    secretKey: ${q(secretOf(a.accessKey))}`, `    admin: ${a.admin === true}`);
    if ('defaultTopicPerm' in a) {
      if (a.whiteRemoteAddress) lines.push(`    whiteRemoteAddress: ${q(a.whiteRemoteAddress)}`);
      lines.push(`    defaultTopicPerm: ${a.defaultTopicPerm}`, `    defaultGroupPerm: ${a.defaultGroupPerm}`);
      for (const kind of ['topicPerms', 'groupPerms'] as const) {
        const list = a[kind] ?? [];
        if (list.length > 0) lines.push(`    ${kind}:`, ...list.map((p) => `      - ${q(p)}`));
      }
    }
  }
  return `${lines.join('\n')}\n`;
}

/** A short, non-reversible mark of a secret: its change is visible, its value is not. */
export function secretMark(value: string): string {
  return `*** sha256:${createHash('sha256').update(value).digest('hex').slice(0, 8)}`;
}

/** ACL file text with every secretKey value replaced by its mark. */
export function maskAclText(text: string): string {
  return text.replace(/^(\s*(?:-\s*)?secretKey:[ \t]*)(.*)$/gm, (_m, head: string, value: string) => {
    let v = value.trim();
    if (v.startsWith('"')) {
      try {
        v = JSON.parse(v) as string;
      } catch {
        /* keep as written */
      }
    } else if (v.startsWith("'") && v.endsWith("'")) v = v.slice(1, -1).replace(/''/g, "'");
    return `${head}${secretMark(v)}`;
  });
}
