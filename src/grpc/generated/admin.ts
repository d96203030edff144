import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { AdminClient as _apache_rocketmq_v2_AdminClient, AdminDefinition as _apache_rocketmq_v2_AdminDefinition } from './apache/rocketmq/v2/Admin.js';
import type { ChangeLogLevelRequest as _apache_rocketmq_v2_ChangeLogLevelRequest, ChangeLogLevelRequest__Output as _apache_rocketmq_v2_ChangeLogLevelRequest__Output } from './apache/rocketmq/v2/ChangeLogLevelRequest.js';
import type { ChangeLogLevelResponse as _apache_rocketmq_v2_ChangeLogLevelResponse, ChangeLogLevelResponse__Output as _apache_rocketmq_v2_ChangeLogLevelResponse__Output } from './apache/rocketmq/v2/ChangeLogLevelResponse.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  apache: {
    rocketmq: {
      v2: {
        Admin: SubtypeConstructor<typeof grpc.Client, _apache_rocketmq_v2_AdminClient> & { service: _apache_rocketmq_v2_AdminDefinition }
        ChangeLogLevelRequest: MessageTypeDefinition<_apache_rocketmq_v2_ChangeLogLevelRequest, _apache_rocketmq_v2_ChangeLogLevelRequest__Output>
        ChangeLogLevelResponse: MessageTypeDefinition<_apache_rocketmq_v2_ChangeLogLevelResponse, _apache_rocketmq_v2_ChangeLogLevelResponse__Output>
      }
    }
  }
}

