// Original file: node_modules/rocketmq-client-nodejs/proto/apache/rocketmq/v2/admin.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { ChangeLogLevelRequest as _apache_rocketmq_v2_ChangeLogLevelRequest, ChangeLogLevelRequest__Output as _apache_rocketmq_v2_ChangeLogLevelRequest__Output } from '../../../apache/rocketmq/v2/ChangeLogLevelRequest.js';
import type { ChangeLogLevelResponse as _apache_rocketmq_v2_ChangeLogLevelResponse, ChangeLogLevelResponse__Output as _apache_rocketmq_v2_ChangeLogLevelResponse__Output } from '../../../apache/rocketmq/v2/ChangeLogLevelResponse.js';

export interface AdminClient extends grpc.Client {
  ChangeLogLevel(argument: _apache_rocketmq_v2_ChangeLogLevelRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_apache_rocketmq_v2_ChangeLogLevelResponse__Output>): grpc.ClientUnaryCall;
  ChangeLogLevel(argument: _apache_rocketmq_v2_ChangeLogLevelRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_apache_rocketmq_v2_ChangeLogLevelResponse__Output>): grpc.ClientUnaryCall;
  ChangeLogLevel(argument: _apache_rocketmq_v2_ChangeLogLevelRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_apache_rocketmq_v2_ChangeLogLevelResponse__Output>): grpc.ClientUnaryCall;
  ChangeLogLevel(argument: _apache_rocketmq_v2_ChangeLogLevelRequest, callback: grpc.requestCallback<_apache_rocketmq_v2_ChangeLogLevelResponse__Output>): grpc.ClientUnaryCall;
  changeLogLevel(argument: _apache_rocketmq_v2_ChangeLogLevelRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_apache_rocketmq_v2_ChangeLogLevelResponse__Output>): grpc.ClientUnaryCall;
  changeLogLevel(argument: _apache_rocketmq_v2_ChangeLogLevelRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_apache_rocketmq_v2_ChangeLogLevelResponse__Output>): grpc.ClientUnaryCall;
  changeLogLevel(argument: _apache_rocketmq_v2_ChangeLogLevelRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_apache_rocketmq_v2_ChangeLogLevelResponse__Output>): grpc.ClientUnaryCall;
  changeLogLevel(argument: _apache_rocketmq_v2_ChangeLogLevelRequest, callback: grpc.requestCallback<_apache_rocketmq_v2_ChangeLogLevelResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface AdminHandlers extends grpc.UntypedServiceImplementation {
  ChangeLogLevel: grpc.handleUnaryCall<_apache_rocketmq_v2_ChangeLogLevelRequest__Output, _apache_rocketmq_v2_ChangeLogLevelResponse>;
  
}

export interface AdminDefinition extends grpc.ServiceDefinition {
  ChangeLogLevel: MethodDefinition<_apache_rocketmq_v2_ChangeLogLevelRequest, _apache_rocketmq_v2_ChangeLogLevelResponse, _apache_rocketmq_v2_ChangeLogLevelRequest__Output, _apache_rocketmq_v2_ChangeLogLevelResponse__Output>
}
