import os from 'node:os';

/**
 * RocketMQ's `RemotingUtil.getLocalAddress`: the first non-loopback IPv4 address of this host,
 * else 127.0.0.1. The broker advertises it when brokerIP1 is unset; clients put it in UNIQ_KEYs.
 */
export function guessLocalAddress(): string {
  for (const addrs of Object.values(os.networkInterfaces())) {
    for (const a of addrs ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}
