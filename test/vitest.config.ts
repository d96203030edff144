import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';
import { v2DescriptorModule } from '../bin/v2-descriptor.mjs';

export default defineConfig({
  root: fileURLToPath(new URL('..', import.meta.url)),
  // tests that import src/ directly get the v5 protocol descriptor as the bundles do (bin/build.mjs)
  plugins: [
    {
      name: 'rmq-v2-descriptor',
      resolveId: (id: string) => (id === 'rmq:v2-descriptor' ? '\0rmq:v2-descriptor' : undefined),
      load: (id: string) => (id === '\0rmq:v2-descriptor' ? v2DescriptorModule() : undefined),
    },
  ],
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    // Real sockets, real processes and real fsync: give tests room, and run files in separate
    // processes so a crashing server under test cannot take other files down with it.
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    teardownTimeout: 60_000,
  },
});
