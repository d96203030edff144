export { PushConsumer, subscriptionData, type ConsumeContext, type ConsumeStatus, type ConsumerStats, type MessageHandler } from './push-consumer.js';
export { PullConsumer, type PullConsumerOptions, type PullOptions, type PullOutcome } from './pull-consumer.js';
export type { PushConsumerOptions } from './options.js';
export type { ConsumedMessage } from './consumed-message.js';
export { allocateAveragely, type AllocateStrategy } from './allocate.js';
