/**
 * Per-API header specs: the fields a command carries in extFields (Java's CommandCustomHeader
 * classes), with their type and whether they are required (`@CFNotNull`). One spec gives the TS
 * type of the decoded header, the decoder (strings → typed values, with an error that names a
 * missing or malformed field) and the encoder (typed values → strings, as Java writes them).
 */
import { ResponseCode } from '../remoting/codes.js';
import type { ExtFields } from '../remoting/command.js';
import { ResponseError } from '../remoting/errors.js';

export type FieldType = 'string' | 'int' | 'long' | 'boolean' | 'double';
type TsOf<T extends FieldType> = T extends 'string' ? string : T extends 'boolean' ? boolean : number;

export interface FieldSpec {
  readonly type: FieldType;
  readonly required: boolean;
  /** Value when absent: Java primitives (`boolean compressed`) and initialised fields (`Integer bodyCrc32 = 0`). */
  readonly default?: string | number | boolean;
}

export interface HeaderSpec<F extends Record<string, FieldSpec> = Record<string, FieldSpec>> {
  /** The Java class name, used in errors and to check the spec against the schema fixtures. */
  readonly name: string;
  readonly fields: F;
}

type Present<F extends Record<string, FieldSpec>> = {
  [K in keyof F]: F[K]['required'] extends true ? K : F[K] extends { default: unknown } ? K : never;
}[keyof F];
type Absent<F extends Record<string, FieldSpec>> = Exclude<keyof F, Present<F>>;

/** A decoded header: required and defaulted fields always present, the others optional. */
export type HeaderValues<S extends HeaderSpec> = { [K in Present<S['fields']>]: TsOf<S['fields'][K]['type']> } & {
  [K in Absent<S['fields']>]?: TsOf<S['fields'][K]['type']>;
};

type Defaulted<F extends Record<string, FieldSpec>> = { [K in keyof F]: F[K] extends { default: unknown } ? K : never }[keyof F];
type Required<F extends Record<string, FieldSpec>> = { [K in keyof F]: F[K]['required'] extends true ? K : never }[keyof F];
/** What encodeHeader takes: required fields must be given, the others may be left out. */
export type HeaderInput<S extends HeaderSpec> = { [K in Required<S['fields']>]: TsOf<S['fields'][K]['type']> } & {
  [K in Exclude<keyof S['fields'], Required<S['fields']>> | Defaulted<S['fields']>]?: TsOf<S['fields'][K]['type']> | undefined;
};

const field = <T extends FieldType, R extends boolean>(type: T, required: R) => ({ type, required }) as const;
export const required = {
  string: field('string', true),
  int: field('int', true),
  long: field('long', true),
  boolean: field('boolean', true),
  double: field('double', true),
} as const;
export const optional = {
  string: field('string', false),
  int: field('int', false),
  long: field('long', false),
  boolean: field('boolean', false),
  double: field('double', false),
} as const;
export function withDefault<T extends FieldType>(type: T, value: TsOf<T>) {
  return { type, required: false, default: value } as const;
}

export function defineHeader<const F extends Record<string, FieldSpec>>(name: string, fields: F): HeaderSpec<F> {
  return { name, fields };
}

/** A header field is missing or malformed. Answered as SYSTEM_ERROR, the message naming the field. */
export class HeaderFieldError extends ResponseError {
  override readonly name: string = 'HeaderFieldError';
  constructor(
    readonly header: string,
    readonly field: string,
    message: string,
  ) {
    super(ResponseCode.SYSTEM_ERROR, message);
  }
}

const INTEGER = /^[+-]?\d+$/;

function parseValue(spec: HeaderSpec, name: string, type: FieldType, raw: string): string | number | boolean {
  switch (type) {
    case 'string':
      return raw;
    case 'boolean':
      // Java's Boolean.parseBoolean: "true" in any case is true, anything else false.
      return raw.toLowerCase() === 'true';
    case 'int': {
      const n = INTEGER.test(raw) ? Number(raw) : Number.NaN;
      if (!(n >= -0x80000000 && n <= 0x7fffffff)) throw new HeaderFieldError(spec.name, name, `header field "${name}" (${spec.name}) must be a 32-bit integer, got ${JSON.stringify(raw.slice(0, 40))}`);
      return n;
    }
    case 'long': {
      const n = INTEGER.test(raw) ? Number(raw) : Number.NaN;
      if (!Number.isSafeInteger(n)) throw new HeaderFieldError(spec.name, name, `header field "${name}" (${spec.name}) must be an integer within ±2^53, got ${JSON.stringify(raw.slice(0, 40))}`);
      return n;
    }
    case 'double': {
      const n = raw.trim() === '' ? Number.NaN : Number(raw);
      if (!Number.isFinite(n)) throw new HeaderFieldError(spec.name, name, `header field "${name}" (${spec.name}) must be a number, got ${JSON.stringify(raw.slice(0, 40))}`);
      return n;
    }
  }
}

/** Reads the typed header out of a command's extFields. Unknown keys are ignored, as Java does. */
export function decodeHeader<S extends HeaderSpec>(spec: S, ext: ExtFields | undefined): HeaderValues<S> {
  const out: Record<string, string | number | boolean> = {};
  for (const name in spec.fields) {
    const f = spec.fields[name] as FieldSpec;
    const raw = ext !== undefined && Object.hasOwn(ext, name) ? ext[name] : undefined;
    if (raw === undefined) {
      if (f.required) throw new HeaderFieldError(spec.name, name, `missing required header field "${name}" (${spec.name})`);
      if (f.default !== undefined) out[name] = f.default;
      continue;
    }
    out[name] = parseValue(spec, name, f.type, raw);
  }
  return out as HeaderValues<S>;
}

/** Writes a typed header as extFields strings; fields left out are not written unless they have a default. */
export function encodeHeader<S extends HeaderSpec>(spec: S, values: HeaderInput<S>): ExtFields {
  const out: ExtFields = {};
  const v = values as Record<string, string | number | boolean | undefined>;
  for (const name in spec.fields) {
    const f = spec.fields[name] as FieldSpec;
    const value = v[name] ?? f.default;
    if (value === undefined) {
      if (f.required) throw new HeaderFieldError(spec.name, name, `missing required header field "${name}" (${spec.name})`);
      continue;
    }
    out[name] = String(value);
  }
  return out;
}
