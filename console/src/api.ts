/** The console's JSON API, from the page: the session cookie goes along; errors carry the server's sentence. */
import type { ApiError } from '../../src/ops/console/api-types.js';

export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(path, {
    method,
    credentials: 'same-origin',
    headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  let value: unknown;
  try {
    value = text === '' ? {} : JSON.parse(text);
  } catch {
    value = { error: text.trim() || res.statusText };
  }
  if (!res.ok) throw new ApiFailure(res.status, (value as ApiError).error ?? `${res.status} ${res.statusText}`);
  return value as T;
}

export const api = {
  get: <T,>(path: string) => call<T>('GET', path),
  post: <T,>(path: string, body: unknown) => call<T>('POST', path, body),
  del: <T,>(path: string, body: unknown) => call<T>('DELETE', path, body),
};

export const enc = encodeURIComponent;
