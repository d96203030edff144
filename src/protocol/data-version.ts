/**
 * DataVersion: how a broker tells a NameServer (and a slave its master) whether its tables
 * changed. JSON `{"counter":N,"stateVersion":0,"timestamp":ms}` (docs/design/protocol.md#register-body).
 */
import type { JsonCheck } from './json-check.js';

export interface DataVersion {
  counter: number;
  stateVersion: number;
  timestamp: number;
}

export function newDataVersion(now: number = Date.now()): DataVersion {
  return { counter: 0, stateVersion: 0, timestamp: now };
}

/** The next version after `v` (Java `nextVersion`): counter + 1, new timestamp. */
export function nextDataVersion(v: DataVersion, now: number = Date.now(), stateVersion = 0): DataVersion {
  return { counter: v.counter + 1, stateVersion, timestamp: now };
}

/** Java `DataVersion.equals`: all three fields. */
export function sameDataVersion(a: DataVersion | undefined, b: DataVersion | undefined): boolean {
  return a !== undefined && b !== undefined && a.counter === b.counter && a.stateVersion === b.stateVersion && a.timestamp === b.timestamp;
}

export function decodeDataVersion(v: unknown, path: string, check: JsonCheck): DataVersion {
  const o = check.object(v, path);
  return {
    counter: check.integerOr(o.counter, `${path}.counter`, 0),
    stateVersion: check.integerOr(o.stateVersion, `${path}.stateVersion`, 0),
    timestamp: check.integerOr(o.timestamp, `${path}.timestamp`, 0),
  };
}
