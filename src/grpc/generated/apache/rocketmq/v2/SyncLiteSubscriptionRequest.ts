// Original file: node_modules/rocketmq-client-nodejs/proto/apache/rocketmq/v2/service.proto

import type { LiteSubscriptionAction as _apache_rocketmq_v2_LiteSubscriptionAction, LiteSubscriptionAction__Output as _apache_rocketmq_v2_LiteSubscriptionAction__Output } from '../../../apache/rocketmq/v2/LiteSubscriptionAction.js';
import type { Resource as _apache_rocketmq_v2_Resource, Resource__Output as _apache_rocketmq_v2_Resource__Output } from '../../../apache/rocketmq/v2/Resource.js';
import type { OffsetOption as _apache_rocketmq_v2_OffsetOption, OffsetOption__Output as _apache_rocketmq_v2_OffsetOption__Output } from '../../../apache/rocketmq/v2/OffsetOption.js';
import type { Long } from '@grpc/proto-loader';

export interface SyncLiteSubscriptionRequest {
  'action'?: (_apache_rocketmq_v2_LiteSubscriptionAction);
  'topic'?: (_apache_rocketmq_v2_Resource | null);
  'group'?: (_apache_rocketmq_v2_Resource | null);
  'liteTopicSet'?: (string)[];
  'version'?: (number | string | Long);
  'offsetOption'?: (_apache_rocketmq_v2_OffsetOption | null);
  '_version'?: "version";
  '_offsetOption'?: "offsetOption";
}

export interface SyncLiteSubscriptionRequest__Output {
  'action': (_apache_rocketmq_v2_LiteSubscriptionAction__Output);
  'topic': (_apache_rocketmq_v2_Resource__Output | null);
  'group': (_apache_rocketmq_v2_Resource__Output | null);
  'liteTopicSet': (string)[];
  'version'?: (number);
  'offsetOption'?: (_apache_rocketmq_v2_OffsetOption__Output | null);
  '_version'?: "version";
  '_offsetOption'?: "offsetOption";
}
