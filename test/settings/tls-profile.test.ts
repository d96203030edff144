/**
 * rmqctl's TLS settings in the profile file (`tls`, `tlsCa`, `tlsCert`, `tlsKey` next to the ACL
 * keys): how they are read (`~/` expanded, relative paths and bad values refused at their line),
 * which source wins (flags > environment > profile, a certificate and its key always from one
 * place), and the real bin against nodes that enforce TLS with client certificates and ACL.
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findCredentials } from '../../src/settings/credentials.js';
import { loadProfile, parseProfile } from '../../src/settings/profile.js';
import { resolveClientTls } from '../../src/settings/tls.js';
import { InvalidInputError } from '../../src/errors.js';
import { ACL_YAML, ADMIN } from '../support/acl.js';
import { makeTestCerts, type TestCerts } from '../support/certs.js';
import { rmqctl } from '../support/cli.js';
import { startCluster, type TestCluster } from '../support/cluster.js';
import { tmpDir } from '../support/tmp.js';

let certs: TestCerts;
beforeAll(() => {
  certs = makeTestCerts(mkdtempSync(path.join(os.tmpdir(), 'rmq-tls-profile-')));
});
afterAll(() => rmSync(certs.dir, { recursive: true, force: true }));

/** A profile file under `home/.config/rmqctl/credentials` (XDG default), mode 0600 unless told. */
function writeProfile(home: string, text: string, mode = 0o600): string {
  const file = path.join(home, '.config', 'rmqctl', 'credentials');
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
  chmodSync(file, mode);
  return file;
}

function problemsOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof InvalidInputError) return [e.message, ...e.problems].join('\n');
    throw e;
  }
  return '';
}

describe('TLS settings in a profile', () => {
  it('reads tls, tlsCa, tlsCert, tlsKey with ~/ expanded; a TLS-only profile has no credentials', () => {
    const home = tmpDir();
    const file = writeProfile(home, '[default]\ntls = Require\ntlsCa = ~/ca.pem\ntlsCert = /etc/rmq/client.pem\ntlsKey = /etc/rmq/client.key\n');
    const p = loadProfile({ env: {}, home });
    expect(p?.settings).toEqual({
      tls: { value: 'require', line: 2 },
      tlsCa: { value: path.join(home, 'ca.pem'), line: 3 },
      tlsCert: { value: '/etc/rmq/client.pem', line: 4 },
      tlsKey: { value: '/etc/rmq/client.key', line: 5 },
    });
    expect(p?.file).toBe(file);
    expect(findCredentials({ env: {}, home })).toBeUndefined();
  });

  it('refuses bad values at their line: mode, relative path, half a pair, twice, unknown profile', () => {
    const text = '[default]\naccessKey = rmq-admin\ntls = maybe\ntlsCa = certs/ca.pem\ntlsCert = /c.pem\ntlsCert = /d.pem\n\n[prod]\ntls = on\n';
    const msg = problemsOf(() => parseProfile(text, 'creds', 'default', '/home/u'));
    expect(msg).toContain('creds:3  tls = maybe: expected off, on, require');
    expect(msg).toContain('creds:4  tlsCa must be an absolute path or start with ~/');
    expect(msg).toContain('creds:6  tlsCert is set twice in [default] (first on line 5)');
    expect(msg).toContain('creds:5  profile [default] has tlsCert without tlsKey (both or neither)');
    expect(msg).toContain('creds:2  profile [default] has accessKey without secretKey (both or neither)');
    expect(problemsOf(() => parseProfile(text, 'creds', 'staging', '/home/u'))).toContain('creds  no profile [staging] (the file has [default], [prod])');
  });

  it('is refused with the file when others may read it, as for credentials', () => {
    const home = tmpDir();
    writeProfile(home, '[default]\ntls = require\n', 0o640);
    expect(problemsOf(() => resolveClientTls({}, {}, loadProfile({ env: {}, home })))).toMatch(/permissions 0640 for credentials file .* are too open/);
  });
});

describe('which source wins: flags > environment > profile', () => {
  const profileWith = (text: string) => parseProfile(`[default]\n${text}`, '/p/credentials', 'default', '/home/u');
  const caPem = () => readFileSync(certs.caCert, 'utf8');
  const foreignPem = () => readFileSync(certs.foreignCaCert, 'utf8');

  it('the mode', () => {
    const p = profileWith(`tls = require\ntlsCa = ${certs.caCert}\n`);
    expect(resolveClientTls({}, {}, p)).toEqual({ policy: 'require', verify: true, ca: caPem() });
    expect(resolveClientTls({}, { RMQCTL_TLS: 'off' }, p)).toBeUndefined();
    expect(resolveClientTls({}, { RMQCTL_TLS: 'on' }, p)?.policy).toBe('prefer');
    expect(resolveClientTls({ tls: true }, { RMQCTL_TLS: 'off' }, p)?.policy).toBe('prefer');
    expect(resolveClientTls({ tlsRequire: true }, {}, profileWith('tls = off\n'))?.policy).toBe('require');
    // paths kept in a profile while TLS is off are fine; CA flags without TLS on are not
    expect(resolveClientTls({}, {}, profileWith(`tls = off\ntlsCa = ${certs.caCert}\n`))).toBeUndefined();
    expect(problemsOf(() => resolveClientTls({ ca: certs.caCert }, {}, profileWith('tls = off\n')))).toMatch(/--tls-ca, --tls-cert and --tls-key need --tls or --tls-require \(TLS is off/);
  });

  it('the CA file, each source named when its file is bad', () => {
    const p = profileWith(`tls = on\ntlsCa = ${certs.foreignCaCert}\n`);
    expect(resolveClientTls({}, {}, p)?.ca).toBe(foreignPem());
    expect(resolveClientTls({}, { RMQCTL_TLS_CA: certs.caCert }, p)?.ca).toBe(caPem());
    expect(resolveClientTls({ ca: certs.foreignCaCert }, { RMQCTL_TLS_CA: certs.caCert }, p)?.ca).toBe(foreignPem());
    expect(problemsOf(() => resolveClientTls({}, {}, profileWith('tls = on\ntlsCa = /nowhere/ca.pem\n')))).toContain('tlsCa ([default] /p/credentials:3): cannot read /nowhere/ca.pem: ENOENT');
    expect(problemsOf(() => resolveClientTls({}, { RMQCTL_TLS_CA: '/nowhere/ca.pem' }, p))).toContain('RMQCTL_TLS_CA: cannot read /nowhere/ca.pem: ENOENT');
  });

  it('a client certificate and its key come from one place, never mixed', () => {
    const p = profileWith(`tls = on\ntlsCert = ${certs.clientCert}\ntlsKey = ${certs.clientKey}\n`);
    const fromProfile = resolveClientTls({}, {}, p);
    expect(fromProfile?.cert).toBe(readFileSync(certs.clientCert, 'utf8'));
    expect(fromProfile?.key).toBe(readFileSync(certs.clientKey, 'utf8'));
    expect(resolveClientTls({ cert: certs.serverCert, key: certs.serverKey }, {}, p)?.cert).toBe(readFileSync(certs.serverCert, 'utf8'));
    expect(problemsOf(() => resolveClientTls({ cert: certs.serverCert }, {}, p))).toMatch(/--tls-cert needs its key from the same place/);
    expect(problemsOf(() => resolveClientTls({}, { RMQCTL_TLS_KEY: certs.serverKey }, p))).toMatch(/RMQCTL_TLS_KEY needs its certificate from the same place/);
    // the profile's key that is not its certificate's: named by profile line, key material never shown
    const msg = problemsOf(() => resolveClientTls({}, {}, profileWith(`tls = on\ntlsCert = ${certs.clientCert}\ntlsKey = ${certs.serverKey}\n`)));
    expect(msg).toContain(`tlsKey ([default] /p/credentials:4) ${certs.serverKey} is not the private key of tlsCert ([default] /p/credentials:3) ${certs.clientCert}`);
    expect(msg).not.toContain(readFileSync(certs.serverKey, 'utf8').split('\n')[1]!);
  });

  it('a client key others may read is refused, wherever it is named', () => {
    const dir = tmpDir();
    const key = path.join(dir, 'client.key');
    writeFileSync(key, readFileSync(certs.clientKey), { mode: 0o644 });
    chmodSync(key, 0o644);
    const expected = `permissions 0644 for ${key} are too open: a private key must not be accessible by others (chmod 600 ${key})`;
    expect(problemsOf(() => resolveClientTls({ tls: true, cert: certs.clientCert, key }, {}))).toContain(`--tls-key: ${expected}`);
    expect(problemsOf(() => resolveClientTls({}, { RMQCTL_TLS: 'on', RMQCTL_TLS_CERT: certs.clientCert, RMQCTL_TLS_KEY: key }))).toContain(`RMQCTL_TLS_KEY: ${expected}`);
    expect(problemsOf(() => resolveClientTls({}, {}, profileWith(`tls = on\ntlsCert = ${certs.clientCert}\ntlsKey = ${key}\n`)))).toContain(`tlsKey ([default] /p/credentials:4): ${expected}`);
    chmodSync(key, 0o600);
    expect(resolveClientTls({ tls: true, cert: certs.clientCert, key }, {})?.key).toBe(readFileSync(certs.clientKey, 'utf8'));
  });
});

describe('rmqctl with a TLS profile against nodes enforcing TLS, client certificates and ACL', () => {
  let c: TestCluster;
  beforeAll(async () => {
    const server = {
      'tls.server.mode': 'enforcing',
      'tls.server.certPath': certs.serverCert,
      'tls.server.keyPath': certs.serverKey,
      'tls.server.need.client.auth': 'require',
      'tls.server.trustCertPath': certs.caCert,
    };
    c = await startCluster({
      cleanup: 'manual',
      acl: { yaml: ACL_YAML, nodeAccount: ADMIN },
      namesrvProperties: server,
      brokerProperties: { ...server, 'tls.enable': true, 'tls.client.trustCertPath': certs.caCert, 'tls.client.certPath': certs.serverCert, 'tls.client.keyPath': certs.serverKey },
      clientTls: { policy: 'require', ca: readFileSync(certs.caCert, 'utf8'), cert: readFileSync(certs.clientCert, 'utf8'), key: readFileSync(certs.clientKey, 'utf8') },
    });
  }, 60_000);
  afterAll(() => c?.stop());

  it('the profile alone carries credentials, TLS mode, CA and client certificate; env and flags override it', async () => {
    const home = tmpDir();
    // the certificates under the home, named with ~/ in the profile
    const tlsDir = path.join(home, 'tls');
    mkdirSync(tlsDir);
    for (const f of [certs.caCert, certs.clientCert, certs.clientKey, certs.foreignCaCert]) writeFileSync(path.join(tlsDir, path.basename(f)), readFileSync(f), { mode: 0o600 });
    writeProfile(
      home,
      `[default]\naccessKey = ${ADMIN.accessKey}\nsecretKey = ${ADMIN.secretKey}\ntls = require\ntlsCa = ~/tls/ca.pem\ntlsCert = ~/tls/client.pem\ntlsKey = ~/tls/client.key\n\n` +
        `[foreign]\naccessKey = ${ADMIN.accessKey}\nsecretKey = ${ADMIN.secretKey}\ntls = require\ntlsCa = ~/tls/foreign-ca.pem\ntlsCert = ~/tls/client.pem\ntlsKey = ~/tls/client.key\n\n` +
        `[nocert]\naccessKey = ${ADMIN.accessKey}\nsecretKey = ${ADMIN.secretKey}\ntls = require\ntlsCa = ~/tls/ca.pem\n`,
    );
    const env = { HOME: home, XDG_CONFIG_HOME: '', RMQCTL_CREDENTIALS_FILE: '', RMQCTL_TLS: '', RMQCTL_TLS_CA: '', RMQCTL_TLS_CERT: '', RMQCTL_TLS_KEY: '' };
    const ns = ['--namesrv', c.namesrvAddr, '--timeout', '5000'];

    const created = await rmqctl(['topic', 'create', 'ProfileTls', '--cluster', c.clusterName, ...ns], { env });
    expect(created.code, created.stderr).toBe(0);
    const listed = await rmqctl(['topic', 'list', '--json', ...ns], { env });
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toContain('ProfileTls');

    // the environment turns TLS off: the enforcing NameServer refuses the plain connection
    const plain = await rmqctl(['topic', 'list', ...ns], { env: { ...env, RMQCTL_TLS: 'off' } });
    expect(plain.code).toBe(1);

    // a profile trusting a foreign CA fails on the certificate; a flag naming the right CA wins over it
    const foreign = await rmqctl(['topic', 'list', ...ns], { env: { ...env, RMQCTL_PROFILE: 'foreign' } });
    expect(foreign.code).toBe(1);
    expect(foreign.stderr).toMatch(/certificate is not trusted/);
    const fixed = await rmqctl(['topic', 'list', '--tls-ca', certs.caCert, ...ns], { env: { ...env, RMQCTL_PROFILE: 'foreign' } });
    expect(fixed.code, fixed.stderr).toBe(0);

    // without a client certificate the nodes refuse the handshake
    const noCert = await rmqctl(['topic', 'list', ...ns], { env: { ...env, RMQCTL_PROFILE: 'nocert' } });
    expect(noCert.code).toBe(1);

    // a certificate from the environment needs its key from the environment too (never mixed with the profile's)
    const half = await rmqctl(['topic', 'list', ...ns], { env: { ...env, RMQCTL_TLS_CERT: certs.serverCert } });
    expect(half.code).toBe(2);
    expect(half.stderr).toMatch(/RMQCTL_TLS_CERT needs its key from the same place/);

    for (const r of [created, listed, plain, foreign, fixed, noCert, half]) {
      expect(r.stdout + r.stderr).not.toContain(ADMIN.secretKey);
      expect(r.stdout + r.stderr).not.toContain(readFileSync(certs.clientKey, 'utf8').split('\n')[1]!);
    }
  });

  it('a profile others may read is refused before anything is sent (exit 2)', async () => {
    const home = tmpDir();
    const file = writeProfile(home, '[default]\ntls = require\n', 0o644);
    const r = await rmqctl(['topic', 'list', '--namesrv', c.namesrvAddr], { env: { HOME: home, XDG_CONFIG_HOME: '', RMQCTL_CREDENTIALS_FILE: '' } });
    expect(r.code).toBe(2);
    // oclif wraps the message and marks lines with ›
    expect(r.stderr.replace(/\s*›\s*/g, ' ')).toContain(`permissions 0644 for credentials file ${file} are too open`);
  });
});
