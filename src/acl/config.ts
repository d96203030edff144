/**
 * The ACL file: our YAML mirror of RocketMQ 4.x `plain_acl.yml` (same keys, same meaning), checked
 * with a zod schema and compiled into an AclPolicy. Every problem names file:line:col and the
 * field; a secret's value never appears in a message.
 *
 *   globalWhiteRemoteAddresses: ['10.10.*.*']   # trusted addresses: requests from them skip the check
 *   accounts:
 *     - accessKey: app-orders
 *       secretKey: '...'                        # at least 6 characters, like RocketMQ
 *       whiteRemoteAddress: 192.168.0.*          # optional: from here the signature is not checked
 *       admin: false
 *       defaultTopicPerm: DENY                   # DENY (default) | PUB | SUB | PUB|SUB
 *       defaultGroupPerm: SUB
 *       topicPerms: [orders=PUB|SUB, audit=PUB]
 *       groupPerms: [orders-consumer=SUB]
 */
import { LineCounter, parseDocument } from 'yaml';
import * as z from 'zod/mini';
import { InvalidInputError } from '../errors.js';
import { formatPath, formatProblem, type FieldPath, type Problem } from '../util/problems.js';
import { SourceMap } from '../util/yaml-source.js';
import { RETRY_GROUP_TOPIC_PREFIX } from '../protocol/topic-names.js';
import { parsePerm, PERM_STRINGS, type PermBits } from './permission.js';
import { AddressPatternError, compileAddressPattern, type AddressMatcher } from './remote-address.js';

const permError = `expected one of ${PERM_STRINGS.join(', ')}`;
const perm = z.enum(PERM_STRINGS, { error: permError });
/** `name=PERM`, as plain_acl.yml writes topic and group permissions. */
export const RESOURCE_PERM_PATTERN = /^[^=\s]+\s*=\s*(DENY|PUB|SUB|PUB\|SUB|SUB\|PUB)$/;
const resourcePerm = z.string({ error: 'expected "name=PERM"' }).check(z.regex(RESOURCE_PERM_PATTERN, { error: `expected "name=PERM" with PERM ${permError}` }));
/** Access and secret keys: printable ASCII, no spaces, at least 6 characters (RocketMQ's minimum). */
export const KEY_PATTERN = /^[\x21-\x7e]{6,}$/;
const KEY_ERROR = 'expected at least 6 printable ASCII characters without spaces';
/** YAML reads an all-digit key as a number (plain_acl.yml's sample secret is 12345678). */
const keyText = z.pipe(
  z.union([z.string(), z.pipe(z.number(), z.transform(String))], { error: 'expected a string' }),
  z.string().check(z.regex(KEY_PATTERN, { error: KEY_ERROR })),
);

// zod/mini: the runtime bundle (rmqd) carries this schema, and classic zod would triple its size.
export const AclAccountSchema = z.strictObject({
  accessKey: keyText,
  secretKey: keyText,
  whiteRemoteAddress: z.nullish(z.string()),
  admin: z._default(z.boolean({ error: 'expected true or false' }), false),
  defaultTopicPerm: z._default(perm, 'DENY'),
  defaultGroupPerm: z._default(perm, 'DENY'),
  topicPerms: z.nullish(z.array(resourcePerm)),
  groupPerms: z.nullish(z.array(resourcePerm)),
});

export const AclFileSchema = z.strictObject({
  globalWhiteRemoteAddresses: z.nullish(z.array(z.string({ error: 'expected an address pattern' }))),
  accounts: z.nullish(z.array(AclAccountSchema)),
  /** Written by RocketMQ's admin API into plain_acl.yml; accepted and ignored. */
  dataVersion: z.optional(z.unknown()),
});
export type AclFile = z.infer<typeof AclFileSchema>;

export interface AclAccount {
  accessKey: string;
  secretKey: string;
  admin: boolean;
  defaultTopicPerm: PermBits;
  defaultGroupPerm: PermBits;
  /** Topics by name, groups as `%RETRY%group` (how RocketMQ keys them). */
  resources: ReadonlyMap<string, PermBits>;
  /** whiteRemoteAddress: requests from here are not signature-checked (RocketMQ semantics). */
  trusted: AddressMatcher;
}

export interface AclPolicy {
  globalWhite: AddressMatcher;
  accounts: ReadonlyMap<string, AclAccount>;
}

export class AclConfigError extends InvalidInputError {
  readonly details: readonly Problem[];
  constructor(file: string, problems: readonly Problem[]) {
    super(`${file}: ${problems.length} ACL problem${problems.length === 1 ? '' : 's'}`, problems.map(formatProblem));
    this.details = problems;
  }
}

const SECRET_FIELDS = new Set(['secretKey']);

/** Parses and compiles ACL YAML text; `file` names it in problems. Throws AclConfigError. */
export function parseAclConfig(text: string, file: string): AclPolicy {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const source = new SourceMap(file, doc, lines);
  const at = (path: FieldPath, message: string): Problem => ({ file, ...source.locate(path), path: formatPath(path), message });
  const problems: Problem[] = doc.errors.map((e) => ({ file, ...source.at(e.pos[0]), path: '', message: `YAML syntax: ${e.message.split('\n')[0]}` }));
  if (problems.length > 0) throw new AclConfigError(file, problems);
  const raw: unknown = doc.toJS({ maxAliasCount: 100 }) ?? {};
  const parsed = AclFileSchema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const path = issue.path as (string | number)[];
      const isSecret = path.some((p) => typeof p === 'string' && SECRET_FIELDS.has(p));
      const keys = issue.code === 'unrecognized_keys' ? ` ${issue.keys.join(', ')}` : '';
      problems.push(at(path, `${issue.message}${keys}${isSecret ? ' (value not shown: it is a secret)' : ''}`));
    }
    throw new AclConfigError(file, problems);
  }
  const compile = (pattern: string, path: FieldPath): AddressMatcher => {
    try {
      return compileAddressPattern(pattern);
    } catch (e) {
      if (!(e instanceof AddressPatternError)) throw e;
      problems.push(at(path, e.message));
      return () => false;
    }
  };
  const whites = (parsed.data.globalWhiteRemoteAddresses ?? []).map((p, i) => compile(p, ['globalWhiteRemoteAddresses', i]));
  const accounts = new Map<string, AclAccount>();
  (parsed.data.accounts ?? []).forEach((a, i) => {
    if (accounts.has(a.accessKey)) problems.push(at(['accounts', i, 'accessKey'], `duplicate accessKey "${a.accessKey}"`));
    const resources = new Map<string, PermBits>();
    const add = (list: readonly string[] | null | undefined, kind: 'topicPerms' | 'groupPerms') =>
      list?.forEach((entry, j) => {
        const eq = entry.indexOf('=');
        const name = entry.slice(0, eq).trim();
        const key = kind === 'groupPerms' ? RETRY_GROUP_TOPIC_PREFIX + name : name;
        if (resources.has(key)) problems.push(at(['accounts', i, kind, j], `"${name}" is listed twice`));
        resources.set(key, parsePerm(entry.slice(eq + 1).trim() as (typeof PERM_STRINGS)[number]));
      });
    add(a.topicPerms, 'topicPerms');
    add(a.groupPerms, 'groupPerms');
    accounts.set(a.accessKey, {
      accessKey: a.accessKey,
      secretKey: a.secretKey,
      admin: a.admin,
      defaultTopicPerm: parsePerm(a.defaultTopicPerm),
      defaultGroupPerm: parsePerm(a.defaultGroupPerm),
      resources,
      trusted: compile(a.whiteRemoteAddress ?? '', ['accounts', i, 'whiteRemoteAddress']),
    });
  });
  if (problems.length > 0) throw new AclConfigError(file, problems);
  return { globalWhite: (ip) => whites.some((m) => m(ip)), accounts };
}
