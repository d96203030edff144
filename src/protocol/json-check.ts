/**
 * Checked reading of JSON bodies from the wire: each accessor returns the typed value or throws a
 * BodyError that names the body and the path of the bad field. Lenient where fastjson is (numbers
 * given as numeric strings, booleans as "true"/"false"), strict about shape.
 */
import { ResponseCode } from '../remoting/codes.js';
import { parseFastJson } from './fastjson.js';
import { ResponseError } from '../remoting/errors.js';

export class BodyError extends ResponseError {
  override readonly name: string = 'BodyError';
  constructor(what: string, message: string) {
    super(ResponseCode.SYSTEM_ERROR, `invalid ${what}: ${message}`);
  }
}

export type JsonObject = Record<string, unknown>;

export class JsonCheck {
  /** `what`: the body's name for error messages, e.g. "RegisterBrokerBody". */
  constructor(readonly what: string) {}

  fail(path: string, expected: string, got: unknown): never {
    const shown = typeof got === 'string' ? JSON.stringify(got.slice(0, 40)) : got === undefined ? 'nothing' : (JSON.stringify(got)?.slice(0, 40) ?? typeof got);
    throw new BodyError(this.what, `${path} must be ${expected}, got ${shown}`);
  }

  object(v: unknown, path: string): JsonObject {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) this.fail(path, 'an object', v);
    return v as JsonObject;
  }

  optionalObject(v: unknown, path: string): JsonObject | undefined {
    return v === undefined || v === null ? undefined : this.object(v, path);
  }

  array(v: unknown, path: string): unknown[] {
    if (!Array.isArray(v)) this.fail(path, 'an array', v);
    return v;
  }

  string(v: unknown, path: string): string {
    if (typeof v !== 'string') this.fail(path, 'a string', v);
    return v;
  }

  optionalString(v: unknown, path: string): string | undefined {
    return v === undefined || v === null ? undefined : this.string(v, path);
  }

  /** An integer within ±2^53 (Java int or long). */
  integer(v: unknown, path: string): number {
    const n = typeof v === 'number' ? v : typeof v === 'string' && /^[+-]?\d+$/.test(v) ? Number(v) : Number.NaN;
    if (!Number.isSafeInteger(n)) this.fail(path, 'an integer', v);
    return n;
  }

  integerOr(v: unknown, path: string, dflt: number): number {
    return v === undefined || v === null ? dflt : this.integer(v, path);
  }

  boolean(v: unknown, path: string): boolean {
    if (typeof v === 'boolean') return v;
    if (v === 'true' || v === 'false') return v === 'true';
    return this.fail(path, 'a boolean', v);
  }

  booleanOr(v: unknown, path: string, dflt: boolean): boolean {
    return v === undefined || v === null ? dflt : this.boolean(v, path);
  }

  /** The body parsed as (fastjson-flavoured) JSON; it must be an object. */
  body(body: Buffer | undefined): JsonObject {
    if (body === undefined || body.length === 0) return this.fail('body', 'JSON', undefined);
    let v: unknown;
    try {
      v = parseFastJson(body.toString('utf8'));
    } catch (e) {
      return this.fail('body', 'JSON', (e as Error).message);
    }
    return this.object(v, 'body');
  }

  /** A JSON object used as a map: every value checked by `each`. */
  record<T>(v: unknown, path: string, each: (value: unknown, path: string, key: string) => T): Record<string, T> {
    const o = this.object(v, path);
    const out: Record<string, T> = Object.create(null) as Record<string, T>;
    for (const k of Object.keys(o)) out[k] = each(o[k], `${path}.${k}`, k);
    return out;
  }
}
