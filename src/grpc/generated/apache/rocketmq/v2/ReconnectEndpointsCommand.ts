// Original file: node_modules/rocketmq-client-nodejs/proto/apache/rocketmq/v2/service.proto


export interface ReconnectEndpointsCommand {
  'nonce'?: (string);
}

export interface ReconnectEndpointsCommand__Output {
  'nonce': (string);
}
