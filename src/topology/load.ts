/**
 * Loads a topology: YAML text (with source positions) → schema check → semantic validation.
 * Either every problem at once (TopologyError, exit 2) or a valid, typed topology.
 */
import { readFile, stat } from 'node:fs/promises';
import { LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { didYouMean } from '../util/config-registry.js';
import { resolveTopologyRef } from './presets.js';
import { compareProblems, describeValue, formatPath, TopologyError, type FieldPath, type Problem } from '../util/problems.js';
import { TopologySchema, type Topology } from './schema.js';
import { SourceMap } from '../util/yaml-source.js';
import { topologyWarnings, validateTopology, type SemanticProblem } from './validate.js';

/** A topology file larger than this is a mistake (or an attack), not a cluster. */
const MAX_TOPOLOGY_BYTES = 1024 * 1024;

export interface LoadedTopology {
  topology: Topology;
  /** The name problems and generated-file headers use: the path as given, or `preset:<name>`. */
  file: string;
  source: SourceMap;
  /** Problems that do not stop anything but deserve a look (e.g. a slave on its master's machine). */
  warnings: Problem[];
}

/** Loads a topology by path or preset name; throws TopologyError listing every problem. */
export async function loadTopology(ref: string): Promise<LoadedTopology> {
  const { path, display } = await resolveTopologyRef(ref);
  const size = (await stat(path)).size;
  if (size > MAX_TOPOLOGY_BYTES) {
    throw new TopologyError(display, [{ file: display, line: 1, col: 1, path: '', message: `file is ${size} bytes (expected at most ${MAX_TOPOLOGY_BYTES})` }]);
  }
  return parseTopology(await readFile(path, 'utf8'), display);
}

/** Parses and validates topology text; `file` names it in problems. */
export function parseTopology(text: string, file: string): LoadedTopology {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true, strict: true });
  const source = new SourceMap(file, doc, lines);
  const problems: Problem[] = [];
  const at = (path: FieldPath, message: string, which: 'value' | 'key' = 'value'): Problem => ({ file, ...source.locate(path, which), path: formatPath(path), message });

  for (const e of doc.errors) problems.push({ file, ...source.at(e.pos[0]), path: '', message: `YAML syntax: ${e.message.split('\n')[0]}` });
  if (problems.length > 0) throw new TopologyError(file, problems);

  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    throw new TopologyError(file, [{ file, line: 1, col: 1, path: '', message: `YAML: ${(e as Error).message}` }]);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new TopologyError(file, [{ file, line: 1, col: 1, path: '', message: `the file holds ${describeValue(raw)} (expected a map with cluster, mode, hosts, nameservers and brokers)` }]);
  }

  // Unknown keys are collected apart from the schema check (which strips them), so a typo does
  // not hide the semantic problems of an otherwise well-formed file.
  problems.push(...unknownKeys(raw, [], at));
  const parsed = TopologySchema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problems.push(...issueProblems(issue, [], raw, at));
    // the checks across fields (port clashes, hosts referenced, …) too, on what is valid: every mistake at once
    problems.push(...salvagedSemanticProblems(raw as Record<string, unknown>, parsed.error.issues).map((p) => at(p.path, p.message, p.at)));
    throw new TopologyError(file, dedupe(problems));
  }
  for (const p of validateTopology(parsed.data, raw as Record<string, unknown>)) problems.push(at(p.path, p.message, p.at));
  if (problems.length > 0) throw new TopologyError(file, dedupe(problems));
  const warnings = topologyWarnings(parsed.data).map((p) => at(p.path, p.message, p.at)).sort(compareProblems);
  return { topology: parsed.data, file, source, warnings };
}

/** Stand-ins for required fields whose value was invalid, so the rest can still be checked. */
const PLACEHOLDERS: Record<string, unknown> = { mode: 'single-master', cluster: 'cluster' };

/**
 * The semantic problems of a topology whose shape is wrong in places: the invalid values are taken
 * out (defaults apply; a required one gets a stand-in), and the problems found on the rest are kept
 * unless they involve a field that was taken out — those could be artefacts of the stand-ins.
 * [] when the file cannot be salvaged (a list entry of the wrong type, a missing required field).
 */
function salvagedSemanticProblems(raw: Record<string, unknown>, issues: readonly z.core.$ZodIssue[]): SemanticProblem[] {
  const copy = structuredClone(raw);
  const removed: FieldPath[] = [];
  let current = issues;
  for (let pass = 0; pass < 4; pass++) {
    for (const issue of current) {
      const p = issue.path as (string | number)[];
      const key = p[p.length - 1];
      const parent = valueAt(copy, p.slice(0, -1));
      if (typeof key !== 'string' || parent === null || typeof parent !== 'object' || Array.isArray(parent)) return [];
      const obj = parent as Record<string, unknown>;
      if (obj[key] !== undefined && !(p.length === 1 && key in PLACEHOLDERS)) delete obj[key];
      else if (p.length === 1 && key in PLACEHOLDERS) obj[key] = PLACEHOLDERS[key];
      else return [];
      removed.push(p);
    }
    const again = TopologySchema.safeParse(copy);
    if (again.success) {
      const touches = (a: FieldPath, b: FieldPath) => a.slice(0, Math.min(a.length, b.length)).every((seg, i) => seg === b[i]);
      return validateTopology(again.data, copy).filter((sp) => ![sp.path, ...(sp.related ?? [])].some((x) => removed.some((r) => touches(x, r))));
    }
    current = again.error.issues;
  }
  return [];
}

function dedupe(problems: Problem[]): Problem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const k = `${p.line}:${p.col}:${p.path}:${p.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function valueAt(root: unknown, path: FieldPath): unknown {
  let v = root;
  for (const seg of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[seg];
  }
  return v;
}

/** Our schema messages read "expected …"; zod's own defaults do not — normalise both. */
function expectation(message: string): string {
  return message.startsWith('expected ') ? message : `expected ${message.replace(/^Invalid input: /, '').replace(/^expected /, '')}`;
}

type Locate = (path: FieldPath, message: string, which?: 'value' | 'key') => Problem;

/** One zod issue → the problems a user should see, with positions. */
function issueProblems(issue: z.core.$ZodIssue, prefix: FieldPath, raw: unknown, at: Locate): Problem[] {
  const path = [...prefix, ...(issue.path as (string | number)[])];
  const value = valueAt(raw, path);
  // A secret's value is never repeated back (it may be a real secret pasted inline).
  const secretAt = path[0] === 'tls' ? path.indexOf('key') : path.indexOf('secretKey');
  if (secretAt >= 0) {
    const secretPath = path.slice(0, secretAt + 1);
    const v = valueAt(raw, secretPath);
    const what = v === undefined ? 'missing' : typeof v === 'string' || typeof v === 'number' ? 'an inline secret (value not shown)' : 'not a secret reference';
    return [at(secretPath, `${what} (expected a reference { env: NAME } or { file: path }; secrets are never written in the topology)`)];
  }
  switch (issue.code) {
    case 'invalid_union': {
      // The mode union: a map means the general form was meant, so report that branch's issues.
      if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
        const branch = issue.errors.find((errs) => !errs.some((e) => e.path.length === 0 && (e.code === 'invalid_type' || e.code === 'invalid_value')));
        if (branch) return branch.flatMap((e) => issueProblems(e, path, raw, at));
      }
      break;
    }
    case 'custom':
      // Refinements that explain the problem themselves ("… must be an absolute path (expected …)").
      if (!issue.message.startsWith('expected ')) return [at(path, `${describeValue(value)} ${issue.message}`)];
      break;
    default:
      break;
  }
  if (value === undefined) return [at(path, `missing (${expectation(issue.message)})`)];
  return [at(path, `invalid value ${describeValue(value)} (${expectation(issue.message)})`)];
}

/** Every key the schema does not know, anywhere in the document, with "did you mean". */
function unknownKeys(value: unknown, path: FieldPath, at: Locate): Problem[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => unknownKeys(v, [...path, i], at));
  if (value === null || typeof value !== 'object') return [];
  const known = knownKeysAt(path);
  if (known.length === 0) return []; // a free-form map (overrides) or not an object here
  return Object.entries(value).flatMap(([k, v]) => {
    if (known.includes(k)) return unknownKeys(v, [...path, k], at);
    const hint = didYouMean(k, known);
    return [at([...path, k], hint ? `unknown key (did you mean ${hint}?)` : `unknown key (expected one of: ${known.join(', ')})`, 'key')];
  });
}

/** The keys the schema allows at `path` (for "did you mean"). */
function knownKeysAt(path: FieldPath): string[] {
  let s: z.core.$ZodType | undefined = TopologySchema as unknown as z.core.$ZodType;
  const unwrap = (t: z.core.$ZodType | undefined): z.core.$ZodType | undefined => {
    for (let i = 0; t && i < 10; i++) {
      const def = t._zod.def as unknown as { type: string; innerType?: z.core.$ZodType; options?: z.core.$ZodType[] };
      if (def.innerType) t = def.innerType;
      else if (def.type === 'union') t = def.options?.find((o) => (o._zod.def as { type: string }).type === 'object');
      else return t;
    }
    return t;
  };
  for (const seg of path) {
    s = unwrap(s);
    if (!s) return [];
    const def = s._zod.def as unknown as { type: string; shape?: Record<string, z.core.$ZodType>; element?: z.core.$ZodType };
    if (def.type === 'object' && typeof seg === 'string') s = def.shape?.[seg];
    else if (def.type === 'array') s = def.element;
    else return [];
  }
  // a union of maps (a secret reference { env } | { file }): every branch's keys are known
  for (let i = 0; s && i < 10 && (s._zod.def as { innerType?: unknown }).innerType; i++) s = (s._zod.def as unknown as { innerType: z.core.$ZodType }).innerType;
  const union = s?._zod.def as unknown as { type: string; options?: z.core.$ZodType[] } | undefined;
  if (union?.type === 'union' && union.options) {
    return union.options.flatMap((o) => {
      const d = o._zod.def as unknown as { type: string; shape?: Record<string, unknown> };
      return d.type === 'object' && d.shape ? Object.keys(d.shape) : [];
    });
  }
  s = unwrap(s);
  const def = s?._zod.def as unknown as { type: string; shape?: Record<string, unknown> } | undefined;
  return def?.type === 'object' && def.shape ? Object.keys(def.shape) : [];
}
