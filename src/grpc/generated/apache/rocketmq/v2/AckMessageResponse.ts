// Original file: node_modules/rocketmq-client-nodejs/proto/apache/rocketmq/v2/service.proto

import type { Status as _apache_rocketmq_v2_Status, Status__Output as _apache_rocketmq_v2_Status__Output } from '../../../apache/rocketmq/v2/Status.js';
import type { AckMessageResultEntry as _apache_rocketmq_v2_AckMessageResultEntry, AckMessageResultEntry__Output as _apache_rocketmq_v2_AckMessageResultEntry__Output } from '../../../apache/rocketmq/v2/AckMessageResultEntry.js';

export interface AckMessageResponse {
  'status'?: (_apache_rocketmq_v2_Status | null);
  'entries'?: (_apache_rocketmq_v2_AckMessageResultEntry)[];
}

export interface AckMessageResponse__Output {
  'status': (_apache_rocketmq_v2_Status__Output | null);
  'entries': (_apache_rocketmq_v2_AckMessageResultEntry__Output)[];
}
