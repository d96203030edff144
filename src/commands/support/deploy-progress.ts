/**
 * How `rmqctl deploy` shows its progress, from the executor's events:
 *  - a terminal: a listr2 task tree — stages, then per host (prepare) or per node (start,
 *    restart, verify), each task finishing as its event arrives;
 *  - no terminal: one plain line per step (logs, CI);
 *  - --json: each event as one JSON object per line, written as it happens.
 */
import { Listr, type DefaultRenderer, type ListrTask, type SimpleRenderer } from 'listr2';
import type { DeployEvent, DeployStage } from '../../deploy/executor.js';
import { describeAction } from '../../deploy/plan/index.js';
import type { ClusterModel } from '../../topology/index.js';
import { finish, type Outcome, type Task } from './listr-task.js';

export interface Progress {
  onEvent(e: DeployEvent): void;
  /** The deploy ended (err: how): settle and finish the display. */
  end(err?: Error): Promise<void>;
}

/** --json: every event as it happens, one JSON object a line (with the time it happened). */
export function jsonProgress(write: (line: string) => void): Progress {
  return {
    onEvent: (e) => write(`${JSON.stringify({ ...e, time: new Date().toISOString() })}\n`),
    end: async () => {},
  };
}

const STAGE_TITLE: Record<Exclude<DeployStage, 'done'>, string> = {
  preflight: 'pre-flight checks',
  plan: 'plan',
  prepare: 'prepare hosts',
  start: 'start nodes',
  restart: 'rolling restarts',
  verify: 'verify health',
};

/** No terminal: plain lines, each step as it finishes. */
export function plainProgress(log: (line: string) => void): Progress {
  return {
    onEvent(e) {
      switch (e.kind) {
        case 'stage':
          if (e.stage !== 'done') log(`== ${STAGE_TITLE[e.stage]}`);
          break;
        case 'plan':
          log(e.changed ? `plan: ${e.actions.map(describeAction).join('; ')}` : 'plan: no changes');
          break;
        case 'step':
          if (e.status === 'done' || e.status === 'unchanged') log(`${e.host}  ${e.step}  ${e.status}`);
          break;
        case 'host':
          break;
        case 'node':
          if (e.action === 'start' || e.action === 'restart') log(`${e.host}  ${e.node}  ${e.action}…`);
          else if (e.action === 'healthy') log(`${e.host}  ${e.node}  healthy${e.detail ? `: ${e.detail}` : ''}`);
      }
    },
    end: async () => {},
  };
}

type TaskSpec = ListrTask<unknown, typeof DefaultRenderer, typeof SimpleRenderer>;

/** A promise settled from outside, created by whichever side asks first. */
class Gates {
  private readonly map = new Map<string, { promise: Promise<Outcome>; resolve: (o: Outcome) => void; settled: boolean }>();
  private get(key: string) {
    let g = this.map.get(key);
    if (!g) {
      let resolve!: (o: Outcome) => void;
      const promise = new Promise<Outcome>((r) => (resolve = r));
      g = { promise, resolve, settled: false };
      this.map.set(key, g);
    }
    return g;
  }
  wait(key: string): Promise<Outcome> {
    return this.get(key).promise;
  }
  settle(key: string, o: Outcome): void {
    const g = this.get(key);
    if (g.settled) return;
    g.settled = true;
    g.resolve(o);
  }
  /** Everything still open: skipped (or failed, for the key given). */
  settleAll(o: Outcome): void {
    for (const key of this.map.keys()) this.settle(key, o);
  }
}

/** A terminal: a listr2 tree of stages → hosts / nodes, built as the deploy learns what it will do. */
export function listrProgress(model: ClusterModel): Progress {
  const gates = new Gates();
  const stages = Object.keys(STAGE_TITLE) as Exclude<DeployStage, 'done'>[];
  let current: DeployStage | undefined;
  let plannedStarts: string[] = [];
  let plannedRestarts: string[] = [];
  const acted = new Set<string>();
  const hostOutput = new Map<string, (line: string) => void>();

  const nodeTasks = (kind: 'start' | 'restart' | 'verify'): TaskSpec[] => {
    const ids = kind === 'start' ? plannedStarts : kind === 'restart' ? plannedRestarts : model.nodes.map((n) => n.id).filter((id) => !acted.has(id));
    return ids.map((id) => {
      const node = model.nodes.find((n) => n.id === id);
      return { title: `${id} on ${node?.host ?? '?'}`, task: (_: unknown, task: Task) => finish(task, gates.wait(`node:${kind}:${id}`)) };
    });
  };
  const hostTasks = (): TaskSpec[] =>
    model.hosts
      .filter((h) => h.nodeIds.length > 0)
      .map((h) => ({
        title: h.name,
        task: (_: unknown, task: Task) => {
          hostOutput.set(h.name, (line) => (task.output = line));
          return finish(task, gates.wait(`host:${h.name}`));
        },
      }));

  const tree = new Listr<unknown, 'default', 'simple'>(
    stages.map((stage) => ({
      title: STAGE_TITLE[stage],
      task: async (_: unknown, task: Task) => {
        const began = await gates.wait(`stage:${stage}`);
        if (!began.ok) {
          if (began.error !== undefined) throw new Error(began.error.split('\n')[0]);
          task.skip(began.skip ?? 'not reached');
          return undefined;
        }
        const subtasks = stage === 'prepare' ? hostTasks() : stage === 'start' || stage === 'restart' || stage === 'verify' ? nodeTasks(stage) : [];
        if (subtasks.length === 0) return finish(task, gates.wait(`stage-end:${stage}`));
        return task.newListr(subtasks, { concurrent: true, exitOnError: false });
      },
    })),
    { concurrent: false, exitOnError: false, rendererOptions: { collapseSubtasks: false, showErrorMessage: true } },
  );
  const run = tree.run().catch(() => {});

  return {
    onEvent(e) {
      switch (e.kind) {
        case 'stage':
          if (current && current !== 'done') gates.settle(`stage-end:${current}`, { ok: true });
          current = e.stage;
          if (e.stage !== 'done') gates.settle(`stage:${e.stage}`, { ok: true });
          break;
        case 'plan':
          plannedStarts = e.actions.flatMap((a) => (a.kind === 'start' ? [a.node] : []));
          plannedRestarts = e.actions.flatMap((a) => (a.kind === 'restart' ? [a.node] : []));
          gates.settle('stage-end:plan', { ok: true, title: `plan: ${e.changed ? `${e.summary.create} to add, ${e.summary.update} to change, ${e.summary.delete} to destroy; ${e.summary.start} to start, ${e.summary.restart} to restart` : 'no changes'}` });
          break;
        case 'step':
          hostOutput.get(e.host)?.(`${e.step}: ${e.status}`);
          break;
        case 'host':
          gates.settle(`host:${e.host}`, e.status === 'prepared' ? { ok: true } : { ok: false, error: e.detail ?? 'failed' });
          break;
        case 'node': {
          const kind = current === 'start' || current === 'restart' ? current : 'verify';
          if (e.action === 'start' || e.action === 'restart') acted.add(e.node);
          if (e.action === 'healthy') gates.settle(`node:${kind}:${e.node}`, { ok: true, title: `${e.node} on ${e.host}: healthy` });
          if (e.action === 'failed') gates.settle(`node:${kind}:${e.node}`, { ok: false, error: e.detail ?? 'failed' });
        }
      }
    },
    async end(err) {
      if (err && current && current !== 'done') gates.settle(`stage-end:${current}`, { ok: false, error: err.message });
      gates.settleAll({ ok: false, skip: err ? 'not reached: the deploy stopped' : 'nothing to do' });
      await run;
    },
  };
}
