// Original file: node_modules/rocketmq-client-nodejs/proto/apache/rocketmq/v2/definition.proto

import type { Duration as _google_protobuf_Duration, Duration__Output as _google_protobuf_Duration__Output } from '../../../google/protobuf/Duration.js';

export interface CustomizedBackoff {
  'next'?: (_google_protobuf_Duration)[];
}

export interface CustomizedBackoff__Output {
  'next': (_google_protobuf_Duration__Output)[];
}
