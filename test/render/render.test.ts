/**
 * Rendering: golden output for every preset (as shipped, and spread over SSH hosts), systemd
 * verification of every unit, and every properties file parsed back to the model's values.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseBrokerConfig, BROKER_KEYS } from '../../src/node-config/broker-keys.js';
import { renderCluster, writeReviewTree, type DesiredFile, type FileSet } from '../../src/render/index.js';
import { buildClusterModel, type ClusterModel } from '../../src/topology/index.js';
import { NAMESRV_KEYS, parseNamesrvConfig } from '../../src/node-config/namesrv-keys.js';
import { coerceValue } from '../../src/util/config-registry.js';
import { parseProperties } from '../../src/util/properties.js';
import { goldenStateDir, loadPreset, PRESETS, sshVariant, STUB_RELEASE, type Preset } from '../support/topologies.js';
import { tmpDir } from '../support/tmp.js';
import { snapshotTree, writeModesManifest } from '../support/tree.js';

const GOLDEN = path.join(import.meta.dirname, 'golden');
const VARIANTS = ['local', 'ssh'] as const;

function modelOf(preset: Preset, variant: (typeof VARIANTS)[number]): ClusterModel {
  const t = loadPreset(preset);
  return buildClusterModel(variant === 'ssh' ? sshVariant(t) : t, { stateDir: goldenStateDir(preset) });
}

const files = (sets: FileSet[]): DesiredFile[] => sets.flatMap((s) => s.entries.filter((e): e is DesiredFile => e.kind === 'file'));

describe('golden rendered output', () => {
  for (const preset of PRESETS) {
    for (const variant of VARIANTS) {
      it(`${preset} (${variant} hosts) renders byte for byte as test/render/golden/${preset}-${variant}`, async () => {
        const out = tmpDir();
        await writeReviewTree(renderCluster(modelOf(preset, variant), STUB_RELEASE), out);
        const golden = path.join(GOLDEN, `${preset}-${variant}`);
        if (process.env.UPDATE_GOLDEN === '1') {
          rmSync(golden, { recursive: true, force: true });
          cpSync(out, golden, { recursive: true, verbatimSymlinks: true });
          writeModesManifest(golden);
        }
        expect(snapshotTree(out)).toEqual(snapshotTree(golden));
      });
    }
  }
});

describe('systemd units', () => {
  // systemd-analyze verify checks units as systemd would load them, but it also requires the
  // ExecStart binary to exist. The real one (/opt/rmqctl/bin/node) is made by deploy on the target
  // host, so verification runs with --root=<temp dir> holding the rendered units, this machine's
  // system units (for network-online.target, multi-user.target …) and an executable stub at
  // /opt/rmqctl/bin/node. Unknown keys only warn, so stderr must be empty too.
  const systemUnits = ['/usr/lib/systemd/system', '/lib/systemd/system'].find((d) => existsSync(d));

  it('systemd-analyze is available (the unit checks below need it)', () => {
    expect(spawnSync('systemd-analyze', ['--version']).status).toBe(0);
    expect(systemUnits).toBeDefined();
  });

  /** systemd-analyze verify of every unit of one host's file set, in a root of its own. */
  function verifyUnitsOf(set: FileSet): { unit: string; status: number | null; stderr: string }[] {
    const root = tmpDir('rmqctl-verify-');
    cpSync(systemUnits ?? '', path.join(root, 'usr/lib/systemd/system'), { recursive: true });
    mkdirSync(path.join(root, 'opt/rmqctl/bin'), { recursive: true });
    writeFileSync(path.join(root, 'opt/rmqctl/bin/node'), '#!/bin/sh\nexit 0\n');
    chmodSync(path.join(root, 'opt/rmqctl/bin/node'), 0o755);
    const mine = set.entries.filter((e): e is DesiredFile => e.kind === 'file' && e.role === 'unit');
    for (const u of mine) {
      mkdirSync(path.join(root, path.dirname(u.path)), { recursive: true });
      writeFileSync(path.join(root, u.path), u.content);
    }
    return mine.map((u) => {
      const r = spawnSync('systemd-analyze', ['verify', `--root=${root}`, path.basename(u.path)], { encoding: 'utf8' });
      return { unit: u.path, status: r.status, stderr: r.stderr };
    });
  }

  for (const preset of PRESETS) {
    it(`every unit of ${preset} on SSH hosts passes systemd-analyze verify`, () => {
      const sets = renderCluster(modelOf(preset, 'ssh'), STUB_RELEASE);
      const units = files(sets).filter((f) => f.role === 'unit');
      expect(units.length).toBe(modelOf(preset, 'ssh').nodes.length);
      for (const set of sets) {
        for (const r of verifyUnitsOf(set)) expect(r).toEqual({ unit: r.unit, status: 0, stderr: '' });
      }
    });
  }

  it('a store under /home gets ProtectHome=tmpfs with the store bound back in (ProtectHome=yes would hide it)', () => {
    const t = sshVariant(loadPreset('2m-2s-sync'));
    const model = buildClusterModel({ ...t, storeRoot: '/home/rmq/store' }, { stateDir: goldenStateDir('2m-2s-sync') });
    const sets = renderCluster(model, STUB_RELEASE);
    for (const node of model.nodes) {
      const unit = files(sets).find((f) => f.role === 'unit' && f.path.endsWith(`/${node.unitName}`))?.content.toString('utf8') ?? '';
      expect(unit).toContain('\nProtectHome=tmpfs\n');
      expect(unit).toContain(`\nBindPaths=${node.storeDir}\n`);
      expect(unit).not.toContain('ProtectHome=yes');
    }
    for (const set of sets) {
      for (const r of verifyUnitsOf(set)) expect(r).toEqual({ unit: r.unit, status: 0, stderr: '' });
    }
    // and the shipped layout (store under /var/lib) keeps the stricter ProtectHome=yes
    const plain = files(renderCluster(modelOf('2m-2s-sync', 'ssh'), STUB_RELEASE)).filter((f) => f.role === 'unit');
    for (const u of plain) expect(u.content.toString('utf8')).toMatch(/\nProtectHome=yes\n(?![\s\S]*BindPaths)/);
  });

  it('verification fails for a unit whose ExecStart binary is missing (the check can fail)', () => {
    const sets = renderCluster(modelOf('single-master', 'ssh'), STUB_RELEASE);
    const unit = files(sets).find((f) => f.role === 'unit');
    if (!unit) throw new Error('no unit rendered');
    const root = tmpDir('rmqctl-verify-');
    cpSync(systemUnits ?? '', path.join(root, 'usr/lib/systemd/system'), { recursive: true });
    mkdirSync(path.join(root, path.dirname(unit.path)), { recursive: true });
    writeFileSync(path.join(root, unit.path), unit.content);
    const r = spawnSync('systemd-analyze', ['verify', `--root=${root}`, path.basename(unit.path)], { encoding: 'utf8' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/\/opt\/rmqctl\/bin\/node is not executable/);
  });
});

describe('rendered properties parse back to the model', () => {
  for (const preset of PRESETS) {
    for (const variant of VARIANTS) {
      it(`${preset} (${variant})`, () => {
        const model = modelOf(preset, variant);
        const byPath = new Map(files(renderCluster(model, STUB_RELEASE)).map((f) => [f.path, f.content.toString('utf8')]));
        for (const node of model.nodes) {
          const text = byPath.get(node.configPath);
          expect(text, node.configPath).toBeDefined();
          const entries = parseProperties(text ?? '');
          // Each key exactly once, in the order of the model.
          expect(entries.map((e) => e.key)).toEqual(expect.arrayContaining(node.properties.map((p) => p.key)));
          expect(entries.length).toBe(node.properties.length);
          if (node.kind === 'broker') {
            const { config, problems, unknown } = parseBrokerConfig(entries, node.configPath);
            expect(problems).toEqual([]);
            expect(unknown).toEqual([]);
            for (const p of node.properties) {
              const spec = BROKER_KEYS[p.key as keyof typeof BROKER_KEYS].spec;
              const want = coerceValue(spec, p.value);
              expect(want.ok && config[p.key as keyof typeof config], `${node.id} ${p.key}`).toEqual(want.ok && want.value);
            }
            expect(config.brokerName).toBe(node.brokerName);
            expect(config.brokerId).toBe(node.brokerId);
            expect(config.brokerRole).toBe(node.brokerRole);
            expect(config.listenPort).toBe(node.listenPort);
            expect(config.haListenPort).toBe(node.haPort);
            expect(config.brokerIP1).toBe(node.brokerIP1);
            expect(config.namesrvAddr).toBe(model.namesrvAddr);
            expect(config.storePathRootDir).toBe(node.storeDir);
          } else {
            const { config, problems, unknown } = parseNamesrvConfig(entries, node.configPath);
            expect(problems).toEqual([]);
            expect(unknown).toEqual([]);
            for (const p of node.properties) {
              const want = coerceValue(NAMESRV_KEYS[p.key as keyof typeof NAMESRV_KEYS].spec, p.value);
              expect(want.ok && config[p.key as keyof typeof config], `${node.id} ${p.key}`).toEqual(want.ok && want.value);
            }
            expect(config.listenPort).toBe(node.listenPort);
          }
        }
      });
    }
  }
});

describe('mode semantics in the rendered brokers (Apache distribution conf examples)', () => {
  const roleOf = (preset: Preset) => modelOf(preset, 'local').nodes.flatMap((n) => (n.kind === 'broker' ? [[n.id, n.brokerRole, n.brokerId] as const] : []));
  it('2m-2s-sync: masters SYNC_MASTER with inSyncReplicas=2, slaves SLAVE with brokerId 1', () => {
    expect(roleOf('2m-2s-sync')).toEqual([
      ['broker-a-0', 'SYNC_MASTER', 0],
      ['broker-b-0', 'SYNC_MASTER', 0],
      ['broker-a-1', 'SLAVE', 1],
      ['broker-b-1', 'SLAVE', 1],
    ]);
    const master = modelOf('2m-2s-sync', 'local').nodes.find((n) => n.id === 'broker-a-0');
    const props = Object.fromEntries((master?.properties ?? []).map((p) => [p.key, p.value]));
    expect(props).toMatchObject({ flushDiskType: 'ASYNC_FLUSH', deleteWhen: '04', fileReservedTime: '48', totalReplicas: '2', inSyncReplicas: '2' });
  });
  it('2m-2s-async and multi-master: ASYNC_MASTER masters', () => {
    expect(roleOf('2m-2s-async').map((r) => r[1])).toEqual(['ASYNC_MASTER', 'ASYNC_MASTER', 'SLAVE', 'SLAVE']);
    expect(roleOf('multi-master').map((r) => r[1])).toEqual(['ASYNC_MASTER', 'ASYNC_MASTER']);
  });
  it('slaves replicate from their own master: haMasterAddress = master brokerIP1:haPort', () => {
    const model = modelOf('2m-2s-async', 'ssh');
    const slave = model.nodes.find((n) => n.id === 'broker-b-1');
    expect(slave?.properties.find((p) => p.key === 'haMasterAddress')?.value).toBe('10.77.0.12:10932');
  });
});

