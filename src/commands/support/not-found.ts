/**
 * oclif's `command_not_found` hook (registered in package.json → oclif.hooks): a mistyped command
 * gets "did you mean" and exit 2 (usage), in a terminal or not. oclif hands over the words joined
 * with ':' (`topic craete Foo` → `topic:craete:Foo`), so every leading run of words is tried and the
 * closest command wins; the rest of the words are kept in the suggested command line.
 */
import type { Hook } from '@oclif/core';
import { didYouMean } from '../../util/config-registry.js';
import { EXIT_INVALID_INPUT } from '../../errors.js';

/** The closest command id to the leading words of `id`, and the words left over; undefined when nothing is close. */
export function suggestCommand(id: string, commandIds: readonly string[]): { id: string; rest: string[] } | undefined {
  const words = id.split(':');
  for (let n = words.length; n >= 1; n--) {
    const head = words.slice(0, n).join(':');
    const candidates = commandIds.filter((c) => c.split(':').length === n);
    const hit = didYouMean(head, candidates);
    if (hit !== undefined) return { id: hit, rest: words.slice(n) };
  }
  return undefined;
}

const hook: Hook<'command_not_found'> = async function (opts) {
  const ids = [...opts.config.commandIDs, ...opts.config.commands.flatMap((c) => c.aliases)];
  const spoken = (id: string) => id.split(':').join(' ');
  const s = suggestCommand(opts.id, ids);
  const words = opts.id.split(':');
  const typed = s ? spoken(words.slice(0, words.length - s.rest.length).join(':')) : spoken(opts.id);
  const topic = opts.config.findTopic(words[0] ?? '') ? ` ${words[0]}` : '';
  const lines = [`${opts.config.bin}: "${typed}" is not a command.`];
  if (s) lines.push(`Did you mean "${spoken(s.id)}"?  ${opts.config.bin} ${[spoken(s.id), ...s.rest, ...(opts.argv ?? [])].join(' ')}`);
  lines.push(`Run "${opts.config.bin} help${topic}" for the commands.`);
  process.stderr.write(`${lines.join('\n')}\n`);
  this.exit(EXIT_INVALID_INPUT);
};

export default hook;
