/**
 * The terminal task list of a step command (`rmqctl failover`): a done step shows its detail, a
 * failed one its error's first line, a step never reached is skipped — the listr2 tasks end as
 * the events say (src/commands/support/listr-task.ts).
 */
import { describe, expect, it } from 'vitest';
import { listrSteps } from '../../../src/commands/support/step-progress.js';

describe('listrSteps', () => {
  it('ends each task as its event says; unreached steps are skipped when the command ends', async () => {
    const out: string[] = [];
    // listr2 writes finished tasks to stdout and failed ones to stderr
    const streams = [process.stdout, process.stderr] as const;
    const writes = streams.map((s) => s.write.bind(s));
    for (const s of streams) {
      s.write = ((chunk: string | Uint8Array) => {
        out.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString());
        return true;
      }) as typeof s.write;
    }
    try {
      const p = listrSteps(['fence master', 'wait for slave', 'promote slave']);
      p.onEvent({ step: 'fence master', status: 'begin' });
      p.onEvent({ step: 'fence master', status: 'done', detail: 'log ends at 4096' });
      p.onEvent({ step: 'wait for slave', status: 'failed', detail: 'the slave lacks 12 bytes\nsecond line' });
      p.onEvent({ step: 'not a step', status: 'done' });
      await p.end(new Error('stopped'));
    } finally {
      streams.forEach((s, i) => (s.write = writes[i]!));
    }
    const text = out.join('').replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');
    expect(text).toContain('fence master: log ends at 4096');
    expect(text).toContain('the slave lacks 12 bytes');
    expect(text).not.toContain('second line');
    expect(text).toContain('✖ wait for slave [FAILED: the slave lacks 12 bytes]');
    expect(text).toContain('↓ promote slave [SKIPPED: not reached]');
  });
});
