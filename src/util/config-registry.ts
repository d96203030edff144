/**
 * Typed registries of `.properties` keys (broker.properties, namesrv.properties): one table per
 * file kind says, for every key, its type, default and meaning. The same table checks values a
 * user writes in a topology's `overrides`, renders them into the file, and parses the file back
 * into a typed config for the runtime.
 */
import fs from 'node:fs';
import { InvalidInputError } from '../errors.js';
import { parseProperties, type PropertyEntry } from './properties.js';

/** Value kinds a key can have. Each has one canonical text form in a properties file. */
export type ValueSpec =
  | { kind: 'int'; min?: number; max?: number; oneOf?: readonly number[] }
  | { kind: 'long'; min?: number; max?: number }
  | { kind: 'bool' }
  | { kind: 'string'; pattern?: RegExp; expected?: string }
  | { kind: 'enum'; values: readonly string[] }
  /** An absolute, normalised POSIX path made of shell-safe characters. */
  | { kind: 'path' }
  /** An IPv4 address. */
  | { kind: 'ipv4' }
  /** `host:port` */
  | { kind: 'hostPort' }
  /** `host:port;host:port…` (RocketMQ's namesrvAddr form). */
  | { kind: 'hostPortList' }
  /** Hours of the day, two digits, `;`-separated (RocketMQ's deleteWhen, e.g. `04` or `01;13`). */
  | { kind: 'hours' };

export interface KeySpec {
  readonly spec: ValueSpec;
  /** RocketMQ's default (null: none; the description says what happens then). */
  readonly default: string | number | boolean | null;
  readonly description: string;
  /** Which RocketMQ config class the key belongs to, or `rmqd` for our own extensions. */
  readonly origin: string;
  /**
   * Set when the topology itself decides this key (identity, addresses, ports, store root): a user
   * override would bypass validation, so it is refused with a pointer to the topology field.
   */
  readonly managedBy?: string;
  /** The runtime refuses to start without it. */
  readonly required?: boolean;
}

export type Registry = Readonly<Record<string, KeySpec>>;

/** The TypeScript type of a key's value. */
type ValueOf<S extends ValueSpec> = S extends { kind: 'int' | 'long' }
  ? number
  : S extends { kind: 'bool' }
    ? boolean
    : S extends { kind: 'enum'; values: readonly (infer V)[] }
      ? V
      : string;

/** The typed config a registry parses into: every key present, null where there is no value. */
export type ConfigOf<R extends Registry> = {
  -readonly [K in keyof R]: R[K]['default'] extends null ? ValueOf<R[K]['spec']> | null : ValueOf<R[K]['spec']>;
};

// Path characters a shell, a systemd unit and a properties file all take without quoting.
const SAFE_PATH = /^\/(?:[A-Za-z0-9._@%+,-]+\/)*[A-Za-z0-9._@%+,-]*$/;
const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export function isIPv4(s: string): boolean {
  return IPV4.test(s);
}

/** A DNS name or an IPv4 address. */
export function isHostAddress(s: string): boolean {
  return IPV4.test(s) || (HOSTNAME.test(s) && !/^[\d.]+$/.test(s));
}

/** Why `p` is not an acceptable absolute path, or undefined when it is. */
export function pathProblem(p: string): string | undefined {
  if (!p.startsWith('/')) return 'must be an absolute path';
  if (!SAFE_PATH.test(p)) return "may only contain letters, digits and . _ @ % + , - between '/' (no spaces or shell metacharacters)";
  if (p.length > 1 && p.endsWith('/')) return "must not end with '/'";
  if (p.split('/').some((seg) => seg === '.' || seg === '..')) return "must not contain '.' or '..' segments";
  return undefined;
}

function hostPortProblem(s: string): string | undefined {
  const i = s.lastIndexOf(':');
  if (i <= 0) return 'must be host:port';
  const host = s.slice(0, i);
  const port = s.slice(i + 1);
  if (!isHostAddress(host)) return `host ${JSON.stringify(host)} is not an IPv4 address or DNS name`;
  if (!/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535) return `port ${JSON.stringify(port)} is not 1-65535`;
  return undefined;
}

/** What a value of this spec looks like, for "expected …" in messages. */
export function describeSpec(spec: ValueSpec): string {
  switch (spec.kind) {
    case 'int':
    case 'long': {
      if (spec.kind === 'int' && spec.oneOf) return `one of ${spec.oneOf.join(', ')}`;
      const lo = spec.min;
      const hi = spec.max;
      if (lo !== undefined && hi !== undefined) return `an integer ${lo}-${hi}`;
      if (lo !== undefined) return `an integer >= ${lo}`;
      return 'an integer';
    }
    case 'bool':
      return 'true or false';
    case 'string':
      return spec.expected ?? 'a string';
    case 'enum':
      return `one of ${spec.values.join(', ')}`;
    case 'path':
      return 'an absolute path';
    case 'ipv4':
      return 'an IPv4 address';
    case 'hostPort':
      return 'host:port';
    case 'hostPortList':
      return 'host:port;host:port…';
    case 'hours':
      return "hours 00-23, two digits, ';'-separated (e.g. 04 or 01;13)";
  }
}

export type CoerceResult = { ok: true; value: string | number | boolean; text: string } | { ok: false; problem: string };

/**
 * Checks one value against its spec and gives the typed value plus its canonical properties text.
 * Accepts what a YAML author naturally writes (numbers, booleans, `deleteWhen: 4`) and what a
 * properties file holds (text).
 */
export function coerceValue(spec: ValueSpec, raw: unknown): CoerceResult {
  const bad = (why?: string): CoerceResult => ({
    ok: false,
    problem: `${why ?? `invalid value ${JSON.stringify(raw)}`} (expected ${describeSpec(spec)})`,
  });
  if (typeof raw !== 'string' && typeof raw !== 'number' && typeof raw !== 'boolean') return bad(`invalid value of type ${raw === null ? 'null' : Array.isArray(raw) ? 'list' : typeof raw}`);
  const text = typeof raw === 'string' ? raw.trim() : String(raw);
  // Nothing that could end a properties line or smuggle a second key through.
  if (/[\u0000-\u001f\u007f]/.test(text)) return bad('contains a control character (newline, tab, …)');
  switch (spec.kind) {
    case 'int':
    case 'long': {
      if (!/^-?\d+$/.test(text)) return bad(`${JSON.stringify(raw)} is not an integer`);
      const n = Number(text);
      const lim = spec.kind === 'int' ? 2 ** 31 - 1 : Number.MAX_SAFE_INTEGER;
      if (!Number.isSafeInteger(n) || Math.abs(n) > lim) return bad(`${text} is out of range`);
      if (spec.min !== undefined && n < spec.min) return bad(`${n} is too small`);
      if (spec.max !== undefined && n > spec.max) return bad(`${n} is too large`);
      if (spec.kind === 'int' && spec.oneOf && !spec.oneOf.includes(n)) return bad(`${n} is not allowed`);
      return { ok: true, value: n, text: String(n) };
    }
    case 'bool': {
      const t = text.toLowerCase();
      if (t !== 'true' && t !== 'false') return bad(`${JSON.stringify(raw)} is not a boolean`);
      return { ok: true, value: t === 'true', text: t };
    }
    case 'string': {
      if (text === '') return bad('is empty');
      if (text.includes('\\')) return bad('contains a backslash');
      if (spec.pattern && !spec.pattern.test(text)) return bad(`${JSON.stringify(text)} is malformed`);
      return { ok: true, value: text, text };
    }
    case 'enum':
      if (!spec.values.includes(text)) return bad(`${JSON.stringify(text)} is not allowed`);
      return { ok: true, value: text, text };
    case 'path': {
      const why = pathProblem(text);
      return why ? bad(`${JSON.stringify(text)} ${why}`) : { ok: true, value: text, text };
    }
    case 'ipv4':
      return isIPv4(text) ? { ok: true, value: text, text } : bad(`${JSON.stringify(text)} is not an IPv4 address`);
    case 'hostPort': {
      const why = hostPortProblem(text);
      return why ? bad(why) : { ok: true, value: text, text };
    }
    case 'hostPortList': {
      const parts = text.split(';');
      for (const p of parts) {
        const why = hostPortProblem(p);
        if (why) return bad(`${JSON.stringify(p)}: ${why}`);
      }
      return { ok: true, value: text, text };
    }
    case 'hours': {
      // YAML reads `deleteWhen: 04` as the number 4: take it and write it back as 04.
      const hours = text.split(';').map((h) => (/^\d{1,2}$/.test(h) ? Number(h) : NaN));
      if (hours.some((h) => Number.isNaN(h) || h > 23)) return bad(`${JSON.stringify(text)} is not a list of hours`);
      const norm = hours.map((h) => String(h).padStart(2, '0')).join(';');
      return { ok: true, value: norm, text: norm };
    }
  }
}

/** The default of a key as its typed value (or null). */
function typedDefault(k: KeySpec): string | number | boolean | null {
  return k.default;
}

export interface ConfigProblem {
  file: string;
  line: number;
  key: string;
  message: string;
}

export interface ParsedConfig<R extends Registry> {
  config: ConfigOf<R>;
  /** Values that failed their key's type: the runtime must refuse to start on any of these. */
  problems: ConfigProblem[];
  /** Keys the registry does not know: the runtime logs them as warnings (as RocketMQ ignores them). */
  unknown: ConfigProblem[];
}

/** Levenshtein distance, small strings only (key names). */
export function editDistance(a: string, b: string): number {
  const al = a.toLowerCase();
  const bl = b.toLowerCase();
  let prev = Array.from({ length: bl.length + 1 }, (_, j) => j);
  for (let i = 1; i <= al.length; i++) {
    const cur = [i];
    for (let j = 1; j <= bl.length; j++) {
      cur[j] = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + (al[i - 1] === bl[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[bl.length] ?? 0;
}

/** The closest candidate to a mistyped name, if one is close enough to be a likely typo. */
export function didYouMean(name: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = editDistance(name, c);
    if (d < bestD) {
      best = c;
      bestD = d;
    }
  }
  const limit = Math.max(2, Math.floor(name.length / 3));
  return best !== undefined && bestD <= limit ? best : undefined;
}

/**
 * Parses the entries of a properties file through a registry: every known key typed and
 * checked (errors name file:line), defaults for the rest, unknown keys set aside.
 */
export function parseConfig<R extends Registry>(registry: R, entries: readonly PropertyEntry[], file: string): ParsedConfig<R> {
  const config: Record<string, unknown> = {};
  for (const [key, k] of Object.entries(registry)) config[key] = typedDefault(k);
  const problems: ConfigProblem[] = [];
  const unknown: ConfigProblem[] = [];
  const seen = new Set<string>();
  for (const e of entries) {
    const k = registry[e.key];
    if (!k) {
      const hint = didYouMean(e.key, Object.keys(registry));
      unknown.push({ file, line: e.line, key: e.key, message: `unknown key ${e.key}${hint ? ` (did you mean ${hint}?)` : ''}` });
      continue;
    }
    seen.add(e.key);
    const r = coerceValue(k.spec, e.value);
    if (r.ok) config[e.key] = r.value;
    else problems.push({ file, line: e.line, key: e.key, message: `${e.key}: ${r.problem}` });
  }
  for (const [key, k] of Object.entries(registry)) {
    if (k.required && !seen.has(key)) problems.push({ file, line: 0, key, message: `${key} is required (${k.description})` });
  }
  return { config: config as ConfigOf<R>, problems, unknown };
}

export function formatConfigProblem(p: ConfigProblem): string {
  return p.line > 0 ? `${p.file}:${p.line}  ${p.message}` : `${p.file}  ${p.message}`;
}

/**
 * Escapes a checked value for the value side of a properties line. Values reaching here passed
 * coerceValue (no control characters, no backslashes in strings); this still escapes what
 * java.util.Properties would misread, because a properties file is read as ISO-8859-1.
 */
export function escapePropertyValue(text: string): string {
  if (/[\u0000-\u001f\u007f]/.test(text)) throw new Error(`refusing to write a control character into a properties file: ${JSON.stringify(text)}`);
  let out = text.replace(/\\/g, '\\\\');
  if (out.startsWith(' ')) out = `\\${out}`;
  return out.replace(/[^\u0020-\u007e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * Reads and parses a node's `.properties` file at start-up: unreadable file or bad values refuse
 * the start (InvalidInputError naming file:line); unknown keys come back as warning lines.
 */
export function readConfigFile<R extends Registry>(file: string, what: string, parse: (entries: readonly PropertyEntry[], file: string) => ParsedConfig<R>): { config: ConfigOf<R>; warnings: string[] } {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new InvalidInputError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const parsed = parse(parseProperties(text), file);
  if (parsed.problems.length > 0) throw new InvalidInputError(`invalid ${what} ${file}`, parsed.problems.map(formatConfigProblem));
  return { config: parsed.config, warnings: parsed.unknown.map(formatConfigProblem) };
}
