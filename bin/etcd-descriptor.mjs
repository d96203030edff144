// The etcd v3 API the pinned etcd3 client speaks, read from its own .proto files at build time and
// embedded in dist/rmqd.js: etcd3 loads them from `${__dirname}/../proto` when its module loads,
// which a single-file ESM bundle has no directory for. The plugin swaps that one call for the same
// definitions built from the embedded JSON (@grpc/proto-loader's fromJSON, same options).
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import protobuf from 'protobufjs';

const require = createRequire(import.meta.url);

export const etcdProtoPlugin = {
  name: 'rmq-etcd3-protos',
  setup(b) {
    b.onLoad({ filter: /[\\/]etcd3[\\/]lib[\\/]connection-pool\.js$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      const rpc = path.join(path.dirname(require.resolve('etcd3/package.json')), 'proto', 'rpc.proto');
      const root = new protobuf.Root();
      root.loadSync(rpc, { keepCase: true });
      const call = /\(0, proto_loader_1\.loadSync\)\(`\$\{__dirname\}\/\.\.\/proto\/rpc\.proto`, \{/;
      if (!call.test(source)) throw new Error(`etcd3's connection-pool.js no longer loads its protos as expected (${args.path}): update bin/etcd-descriptor.mjs`);
      const contents = `const __rmqEtcdProtos = ${JSON.stringify(root.toJSON())};\n${source.replace(call, '(0, proto_loader_1.fromJSON)(__rmqEtcdProtos, {')}`;
      return { contents, loader: 'js' };
    });
  },
};
