/**
 * The command table oclif loads (package.json → oclif.commands, "explicit" strategy).
 * Keys are command ids with ':' between words ('topic:create' is `rmqctl topic create`).
 * Each command module is thin: parse flags, call the library, print.
 */
import type { Command } from '@oclif/core';
import Init from './init.js';
import Plan from './plan.js';
import Render from './render.js';
import Status from './status.js';
import TopicList from './topic/list.js';
import TopicRoute from './topic/route.js';
import Validate from './validate.js';

export const COMMANDS: Record<string, Command.Class> = {
  init: Init,
  plan: Plan,
  render: Render,
  status: Status,
  'topic:list': TopicList,
  'topic:route': TopicRoute,
  validate: Validate,
};
