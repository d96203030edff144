/** listr2 tasks that wait for a step the library reports as an event, and end as it ended. */
import type { DefaultRenderer, ListrTaskWrapper, SimpleRenderer } from 'listr2';

export type Task = ListrTaskWrapper<unknown, typeof DefaultRenderer, typeof SimpleRenderer>;

/** How a step ended: done (maybe with a better title), failed (its error's first line is shown), or never reached (skipped). */
export type Outcome = { ok: true; title?: string } | { ok: false; skip?: string; error?: string };

/** Ends `task` as `wait` says. */
export async function finish(task: Task, wait: Promise<Outcome>): Promise<void> {
  const o = await wait;
  if (o.ok) {
    if (o.title) task.title = o.title;
    return;
  }
  if (o.error !== undefined) throw new Error(o.error.split('\n')[0]);
  task.skip(o.skip ?? 'not reached');
}
