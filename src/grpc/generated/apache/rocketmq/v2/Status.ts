// Original file: node_modules/rocketmq-client-nodejs/proto/apache/rocketmq/v2/definition.proto

import type { Code as _apache_rocketmq_v2_Code, Code__Output as _apache_rocketmq_v2_Code__Output } from '../../../apache/rocketmq/v2/Code.js';

export interface Status {
  'code'?: (_apache_rocketmq_v2_Code);
  'message'?: (string);
}

export interface Status__Output {
  'code': (_apache_rocketmq_v2_Code__Output);
  'message': (string);
}
