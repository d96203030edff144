/**
 * The apache.rocketmq.v2 protocol as a protobufjs JSON descriptor, made at build time from the
 * pinned package's .proto files (bin/v2-descriptor.mjs) and embedded by the bundler; the test
 * config provides the same module.
 */
declare module 'rmq:v2-descriptor' {
  const descriptor: Record<string, unknown>;
  export default descriptor;
}
