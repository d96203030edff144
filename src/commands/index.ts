/**
 * The command table oclif loads (package.json → oclif.commands, "explicit" strategy).
 * Keys are command ids with ':' between words ('topic:create' is `rmqctl topic create`).
 * Each command module is thin: parse flags, call the library, print.
 */
import type { Command } from '@oclif/core';
import Deploy from './deploy.js';
import Destroy from './destroy.js';
import Init from './init.js';
import Logs from './logs.js';
import Plan from './plan.js';
import Render from './render.js';
import Restart from './restart.js';
import Rollback from './rollback.js';
import Start from './start.js';
import Status from './status.js';
import Stop from './stop.js';
import TopicList from './topic/list.js';
import TopicRoute from './topic/route.js';
import Validate from './validate.js';

export const COMMANDS: Record<string, Command.Class> = {
  deploy: Deploy,
  destroy: Destroy,
  init: Init,
  logs: Logs,
  plan: Plan,
  render: Render,
  restart: Restart,
  rollback: Rollback,
  start: Start,
  status: Status,
  stop: Stop,
  'topic:list': TopicList,
  'topic:route': TopicRoute,
  validate: Validate,
};
