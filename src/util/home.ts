/** `~` and `~/…` in paths the user gives for this machine (keys, known_hosts, certificates). */
import os from 'node:os';
import path from 'node:path';

export function expandHome(p: string, home: string = os.homedir()): string {
  return p === '~' ? home : p.startsWith('~/') ? path.join(home, p.slice(2)) : p;
}
