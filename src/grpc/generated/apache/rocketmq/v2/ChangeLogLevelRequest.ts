// Original file: node_modules/rocketmq-client-nodejs/proto/apache/rocketmq/v2/admin.proto


// Original file: node_modules/rocketmq-client-nodejs/proto/apache/rocketmq/v2/admin.proto

export const _apache_rocketmq_v2_ChangeLogLevelRequest_Level = {
  TRACE: 'TRACE',
  DEBUG: 'DEBUG',
  INFO: 'INFO',
  WARN: 'WARN',
  ERROR: 'ERROR',
} as const;

export type _apache_rocketmq_v2_ChangeLogLevelRequest_Level =
  | 'TRACE'
  | 0
  | 'DEBUG'
  | 1
  | 'INFO'
  | 2
  | 'WARN'
  | 3
  | 'ERROR'
  | 4

export type _apache_rocketmq_v2_ChangeLogLevelRequest_Level__Output = typeof _apache_rocketmq_v2_ChangeLogLevelRequest_Level[keyof typeof _apache_rocketmq_v2_ChangeLogLevelRequest_Level]

export interface ChangeLogLevelRequest {
  'level'?: (_apache_rocketmq_v2_ChangeLogLevelRequest_Level);
}

export interface ChangeLogLevelRequest__Output {
  'level': (_apache_rocketmq_v2_ChangeLogLevelRequest_Level__Output);
}
