// The RocketMQ v5 gRPC protocol definitions (apache.rocketmq.v2) as a protobufjs JSON descriptor,
// read from the .proto files of the pinned `rocketmq-client-nodejs` package (the official
// definitions, byte-identical to apache/rocketmq-apis v2.1.2 — see ../shared/v5-protocol.md §1.2).
// Used at build time by build.mjs (embedded into the bundles as the module `rmq:v2-descriptor`) and
// by the test config (the same module for tests that import src/ directly). Never retyped.
import { createRequire } from 'node:module';
import path from 'node:path';
import protobuf from 'protobufjs';

const require = createRequire(import.meta.url);

/** The package the protos come from; pinned exactly in package.json. */
export const PROTO_PACKAGE = 'rocketmq-client-nodejs';
export const PROTO_FILES = ['apache/rocketmq/v2/service.proto', 'apache/rocketmq/v2/admin.proto'];

export function protoDir() {
  return path.join(path.dirname(require.resolve(`${PROTO_PACKAGE}/package.json`)), 'proto');
}

/** The JSON descriptor (protobufjs `Root#toJSON`), google.protobuf well-known types included. */
export function v2Descriptor() {
  const dir = protoDir();
  const root = new protobuf.Root();
  // imports resolve inside the package's proto dir; google/protobuf/* are protobufjs' bundled copies
  root.resolvePath = (_origin, target) => (target.startsWith('google/protobuf/') || path.isAbsolute(target) ? target : path.join(dir, target));
  root.loadSync(PROTO_FILES, { keepCase: false });
  root.resolveAll();
  return root.toJSON({ keepComments: false });
}

/** The ES module text that exports it (what the bundles embed). */
export function v2DescriptorModule() {
  return `export default ${JSON.stringify(v2Descriptor())};\n`;
}
