// Original file: node_modules/rocketmq-client-nodejs/proto/apache/rocketmq/v2/definition.proto

export const AddressScheme = {
  ADDRESS_SCHEME_UNSPECIFIED: 'ADDRESS_SCHEME_UNSPECIFIED',
  IPv4: 'IPv4',
  IPv6: 'IPv6',
  DOMAIN_NAME: 'DOMAIN_NAME',
} as const;

export type AddressScheme =
  | 'ADDRESS_SCHEME_UNSPECIFIED'
  | 0
  | 'IPv4'
  | 1
  | 'IPv6'
  | 2
  | 'DOMAIN_NAME'
  | 3

export type AddressScheme__Output = typeof AddressScheme[keyof typeof AddressScheme]
