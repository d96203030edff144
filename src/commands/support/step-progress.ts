/**
 * Progress of a command made of named steps done one after another (`rmqctl failover`): a listr2
 * task list on a terminal, one plain line per finished step otherwise, one JSON object per event
 * with --json.
 */
import { Listr } from 'listr2';
import { finish, type Outcome, type Task } from './listr-task.js';

export interface StepEvent {
  step: string;
  status: 'begin' | 'done' | 'failed';
  detail?: string;
}

export interface StepProgress {
  onEvent(e: StepEvent): void;
  end(err?: Error): Promise<void>;
}

export function jsonSteps(write: (line: string) => void): StepProgress {
  return { onEvent: (e) => write(`${JSON.stringify({ kind: 'step', ...e, time: new Date().toISOString() })}\n`), end: async () => {} };
}

export function plainSteps(log: (line: string) => void): StepProgress {
  return {
    onEvent(e) {
      if (e.status === 'done') log(`${e.step}: ${e.detail ?? 'done'}`);
      else if (e.status === 'failed') log(`${e.step}: FAILED ${e.detail ?? ''}`);
    },
    end: async () => {},
  };
}

/** A terminal: the steps as a list; a step that is never reached shows as skipped. `extra` steps (undo) are appended as they come. */
export function listrSteps(steps: readonly string[]): StepProgress {
  const waiting = new Map<string, { promise: Promise<Outcome>; resolve: (o: Outcome) => void }>();
  const gate = (k: string) => {
    let g = waiting.get(k);
    if (g === undefined) {
      let resolve!: (o: Outcome) => void;
      g = { promise: new Promise<Outcome>((r) => (resolve = r)), resolve };
      waiting.set(k, g);
    }
    return g;
  };
  const tree = new Listr<unknown, 'default', 'simple'>(
    steps.map((s) => ({
      title: s,
      task: (_: unknown, task: Task) => finish(task, gate(s).promise),
    })),
    { concurrent: false, exitOnError: false, rendererOptions: { showErrorMessage: true } },
  );
  const run = tree.run().catch(() => {});
  return {
    onEvent(e) {
      if (!steps.includes(e.step)) return;
      if (e.status === 'done') gate(e.step).resolve({ ok: true, title: `${e.step}: ${e.detail ?? 'done'}` });
      else if (e.status === 'failed') gate(e.step).resolve({ ok: false, error: e.detail ?? 'failed' });
    },
    async end() {
      for (const s of steps) gate(s).resolve({ ok: false });
      await run;
    },
  };
}
