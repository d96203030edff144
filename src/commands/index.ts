/**
 * The command table oclif loads (package.json → oclif.commands, "explicit" strategy).
 * Keys are command ids with ':' between words ('topic:create' is `rmqctl topic create`).
 * Each command module is thin: parse flags, call the library, print.
 */
import type { Command } from '@oclif/core';
import BenchConsume from './bench/consume.js';
import BenchProduce from './bench/produce.js';
import Console from './console.js';
import Deploy from './deploy.js';
import Destroy from './destroy.js';
import Failover from './failover.js';
import GroupDescribe from './group/describe.js';
import GroupList from './group/list.js';
import GroupResetOffset from './group/reset-offset.js';
import Init from './init.js';
import Logs from './logs.js';
import MessageConsume from './message/consume.js';
import MessageGet from './message/get.js';
import MessageSend from './message/send.js';
import MessageTail from './message/tail.js';
import Plan from './plan.js';
import Render from './render.js';
import Restart from './restart.js';
import Rollback from './rollback.js';
import Start from './start.js';
import Status from './status.js';
import Stop from './stop.js';
import TopicCreate from './topic/create.js';
import TopicDelete from './topic/delete.js';
import TopicDescribe from './topic/describe.js';
import TopicList from './topic/list.js';
import TopicRoute from './topic/route.js';
import Validate from './validate.js';
export { default as commandNotFound } from './support/not-found.js';

export const COMMANDS: Record<string, Command.Class> = {
  'bench:consume': BenchConsume,
  'bench:produce': BenchProduce,
  console: Console,
  deploy: Deploy,
  destroy: Destroy,
  failover: Failover,
  'group:describe': GroupDescribe,
  'group:list': GroupList,
  'group:reset-offset': GroupResetOffset,
  init: Init,
  logs: Logs,
  'message:consume': MessageConsume,
  'message:get': MessageGet,
  'message:send': MessageSend,
  'message:tail': MessageTail,
  plan: Plan,
  render: Render,
  restart: Restart,
  rollback: Rollback,
  start: Start,
  status: Status,
  stop: Stop,
  'topic:create': TopicCreate,
  'topic:delete': TopicDelete,
  'topic:describe': TopicDescribe,
  'topic:list': TopicList,
  'topic:route': TopicRoute,
  validate: Validate,
};
