// Original file: node_modules/rocketmq-client-nodejs/proto/apache/rocketmq/v2/definition.proto

import type { Endpoints as _apache_rocketmq_v2_Endpoints, Endpoints__Output as _apache_rocketmq_v2_Endpoints__Output } from '../../../apache/rocketmq/v2/Endpoints.js';

export interface Broker {
  'name'?: (string);
  'id'?: (number);
  'endpoints'?: (_apache_rocketmq_v2_Endpoints | null);
}

export interface Broker__Output {
  'name': (string);
  'id': (number);
  'endpoints': (_apache_rocketmq_v2_Endpoints__Output | null);
}
