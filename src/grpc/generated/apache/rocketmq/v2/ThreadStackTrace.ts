// Original file: node_modules/rocketmq-client-nodejs/proto/apache/rocketmq/v2/service.proto


export interface ThreadStackTrace {
  'nonce'?: (string);
  'threadStackTrace'?: (string);
  '_threadStackTrace'?: "threadStackTrace";
}

export interface ThreadStackTrace__Output {
  'nonce': (string);
  'threadStackTrace'?: (string);
  '_threadStackTrace'?: "threadStackTrace";
}
