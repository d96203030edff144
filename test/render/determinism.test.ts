/**
 * Property: rendering is pure and deterministic. For random valid topologies, rendering twice
 * gives byte-identical FileSets, and so does the same topology written with its map keys in
 * another order (YAML key order carries no meaning).
 */
import fc from 'fast-check';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { renderCluster, renderDigest } from '../../src/render/index.js';
import { buildClusterModel, parseTopology } from '../../src/topology/index.js';
import { STUB_RELEASE } from '../support/topologies.js';

type Obj = Record<string, unknown>;

const overrideValue = {
  maxMessageSize: fc.integer({ min: 1, max: 16 * 1024 * 1024 }),
  autoCreateTopicEnable: fc.boolean(),
  defaultTopicQueueNums: fc.integer({ min: 1, max: 64 }),
  flushDiskType: fc.constantFrom('ASYNC_FLUSH', 'SYNC_FLUSH'),
  fileReservedTime: fc.integer({ min: 1, max: 720 }),
  messageDelayLevel: fc.constantFrom('1s 5s', '1s 10s 1m 1h'),
  brokerHeartbeatIntervalMillis: fc.integer({ min: 100, max: 60000 }),
};
const overrides = fc.record(overrideValue, { requiredKeys: [] });

/** A random valid topology as a plain object (ports spaced so nothing collides). */
const topology = fc
  .record({
    cluster: fc.stringMatching(/^[a-z][a-z0-9-]{0,10}$/),
    masters: fc.integer({ min: 1, max: 3 }),
    slavesPerMaster: fc.integer({ min: 0, max: 2 }),
    replication: fc.constantFrom('sync', 'async'),
    flush: fc.constantFrom('sync', 'async'),
    sshHosts: fc.integer({ min: 0, max: 3 }),
    nameservers: fc.integer({ min: 1, max: 3 }),
    placement: fc.array(fc.nat(), { minLength: 16, maxLength: 16 }),
    clusterOverrides: overrides,
    groupOverrides: fc.array(overrides, { minLength: 3, maxLength: 3 }),
    deleteWhen: fc.constantFrom('04', '01;13', 4),
  })
  .map((r): Obj => {
    // Remote hosts cannot reach a local host's loopback, so mixed topologies stay all-SSH.
    const hosts: Obj[] = r.sshHosts === 0 ? [{ name: 'local', transport: 'local' }] : Array.from({ length: r.sshHosts }, (_, i) => ({ name: `h${i}`, address: `10.77.0.${11 + i}` }));
    let next = 0;
    const place = () => (hosts[(r.placement[next++ % r.placement.length] ?? 0) % hosts.length] as Obj).name;
    let port = 10911;
    const broker = () => ({ host: place(), port: (port += 10) });
    const replication = r.slavesPerMaster === 0 ? 'async' : r.replication;
    return {
      cluster: r.cluster,
      mode: { masters: r.masters, slavesPerMaster: r.slavesPerMaster, replication },
      flush: r.flush,
      retention: { fileReservedTime: 48, deleteWhen: r.deleteWhen },
      hosts,
      nameservers: Array.from({ length: r.nameservers }, (_, i) => ({ host: place(), port: 9876 + i })),
      brokers: Array.from({ length: r.masters }, (_, g) => ({
        name: `broker-${String.fromCharCode(97 + g)}`,
        master: broker(),
        slaves: Array.from({ length: r.slavesPerMaster }, broker),
        overrides: r.groupOverrides[g],
      })),
      overrides: { broker: r.clusterOverrides },
    };
  });

/** The same value with every map's keys in reverse order (arrays keep their order: it matters). */
function reorder(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(reorder);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v as Obj).reverse().map(([k, x]) => [k, reorder(x)]));
  return v;
}

function render(text: string) {
  const { topology: t } = parseTopology(text, 'random.yaml');
  return renderCluster(buildClusterModel(t, { stateDir: '/var/tmp/rmqctl-state' }), STUB_RELEASE);
}

describe('render is deterministic', () => {
  it('same topology → byte-identical output, whatever the key order', () => {
    fc.assert(
      fc.property(topology, (obj) => {
        const text = stringify(obj);
        const a = render(text);
        const b = render(text);
        const c = render(stringify(reorder(obj)));
        expect(renderDigest(b)).toBe(renderDigest(a));
        expect(renderDigest(c)).toBe(renderDigest(a));
        // The digest covers every entry; check the bytes directly as well.
        const bytes = (sets: typeof a) => sets.flatMap((s) => s.entries.map((e) => (e.kind === 'file' ? `${e.path}:${e.content.toString('base64')}` : `${e.path}:${e.kind}`)));
        expect(bytes(c)).toEqual(bytes(a));
      }),
      { numRuns: 150 },
    );
  });

  it('the digest does notice a change (so equality above means something)', () => {
    fc.assert(
      fc.property(topology, (obj) => {
        const changed = structuredClone(obj);
        changed.logLevel = 'debug'; // only the env file changes
        expect(renderDigest(render(stringify(changed)))).not.toBe(renderDigest(render(stringify(obj))));
      }),
      { numRuns: 30 },
    );
  });
});
