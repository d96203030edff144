// Original file: node_modules/rocketmq-client-nodejs/proto/apache/rocketmq/v2/service.proto

import type { Status as _apache_rocketmq_v2_Status, Status__Output as _apache_rocketmq_v2_Status__Output } from '../../../apache/rocketmq/v2/Status.js';
import type { Message as _apache_rocketmq_v2_Message, Message__Output as _apache_rocketmq_v2_Message__Output } from '../../../apache/rocketmq/v2/Message.js';
import type { Timestamp as _google_protobuf_Timestamp, Timestamp__Output as _google_protobuf_Timestamp__Output } from '../../../google/protobuf/Timestamp.js';

export interface ReceiveMessageResponse {
  'status'?: (_apache_rocketmq_v2_Status | null);
  'message'?: (_apache_rocketmq_v2_Message | null);
  'deliveryTimestamp'?: (_google_protobuf_Timestamp | null);
  'content'?: "status"|"message"|"deliveryTimestamp";
}

export interface ReceiveMessageResponse__Output {
  'status'?: (_apache_rocketmq_v2_Status__Output | null);
  'message'?: (_apache_rocketmq_v2_Message__Output | null);
  'deliveryTimestamp'?: (_google_protobuf_Timestamp__Output | null);
  'content'?: "status"|"message"|"deliveryTimestamp";
}
