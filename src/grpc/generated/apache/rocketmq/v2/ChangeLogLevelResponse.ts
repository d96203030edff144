// Original file: node_modules/rocketmq-client-nodejs/proto/apache/rocketmq/v2/admin.proto


export interface ChangeLogLevelResponse {
  'remark'?: (string);
}

export interface ChangeLogLevelResponse__Output {
  'remark': (string);
}
