/** Every system the peer benchmarks know, in bench/compare's order (`--systems` picks by id). */
import { UsageError } from './cli.js';
import { NatsSystem } from './nats.js';
import { RabbitMqSystem } from './rabbitmq.js';
import { RedisSystem } from './redis.js';
import { RmqdSystem } from './rmqd.js';
import type { System } from './system.js';

export function allSystems(rmqd: string): System[] {
  return [
    new RmqdSystem(rmqd, false),
    new RmqdSystem(rmqd, false, true),
    new RmqdSystem(rmqd, false, true, true),
    new RmqdSystem(rmqd, true, true, true),
    new RmqdSystem(rmqd, true),
    new RmqdSystem(rmqd, true, true),
    new NatsSystem(),
    new RedisSystem(),
    new RabbitMqSystem(),
  ];
}

/**
 * The entries of `all` that a comma-separated `list` names (by any of `key`'s names), in the order of
 * `all`; all of them when `list` is undefined. Throws a UsageError naming what is unknown.
 */
export function pickByKey<T>(list: string | undefined, all: T[], key: (t: T) => string[], what: string): T[] {
  if (list === undefined) return all;
  const want = list.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = want.filter((w) => !all.some((t) => key(t).includes(w)));
  if (unknown.length) throw new UsageError(`unknown ${what}: ${unknown.join(', ')} (known: ${all.map((t) => key(t)[0]).join(', ')})`);
  return all.filter((t) => key(t).some((k) => want.includes(k)));
}

export const pickSystems = (list: string | undefined, all: System[]): System[] => pickByKey(list, all, (s) => [s.id], 'system');
