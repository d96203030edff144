/**
 * Real certificates for TLS tests, made with openssl in a directory the caller owns: a CA, a
 * server certificate for 127.0.0.1 / ::1 / localhost signed by it, a client certificate signed by
 * it, and a "foreign" CA with its own server certificate (same names), which clients trusting
 * only the first CA must refuse. Keys are EC P-256 (fast to make).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export interface TestCerts {
  dir: string;
  caCert: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  foreignCaCert: string;
  foreignServerCert: string;
  foreignServerKey: string;
  /** Signed by the CA, but for other.example only (not 127.0.0.1). */
  wrongNameCert: string;
  wrongNameKey: string;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

function makeCa(dir: string, name: string): void {
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', `${name}.key`], dir);
  openssl(['req', '-x509', '-new', '-key', `${name}.key`, '-sha256', '-days', '2', '-subj', `/CN=${name}`, '-out', `${name}.pem`], dir);
}

function makeLeaf(dir: string, ca: string, name: string, ext: string): void {
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', `${name}.key`], dir);
  // PKCS#8 like most tooling emits today
  openssl(['pkcs8', '-topk8', '-nocrypt', '-in', `${name}.key`, '-out', `${name}.p8.key`], dir);
  fs.renameSync(path.join(dir, `${name}.p8.key`), path.join(dir, `${name}.key`));
  openssl(['req', '-new', '-key', `${name}.key`, '-subj', `/CN=${name}`, '-out', `${name}.csr`], dir);
  fs.writeFileSync(path.join(dir, `${name}.ext`), ext);
  openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-days', '2', '-sha256', '-extfile', `${name}.ext`, '-out', `${name}.pem`], dir);
  fs.chmodSync(path.join(dir, `${name}.key`), 0o600);
}

const SERVER_EXT = 'subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n';
const CLIENT_EXT = 'extendedKeyUsage=clientAuth\n';

/** Generates the set into `dir` (a tmpDir of the test); `ips`: more addresses the server certificate names. */
export function makeTestCerts(dir: string, opts: { ips?: readonly string[] } = {}): TestCerts {
  makeCa(dir, 'ca');
  makeLeaf(dir, 'ca', 'server', (opts.ips ?? []).reduce((ext, ip) => ext.replace('subjectAltName=', `subjectAltName=IP:${ip},`), SERVER_EXT));
  makeLeaf(dir, 'ca', 'client', CLIENT_EXT);
  makeLeaf(dir, 'ca', 'wrong-name', 'subjectAltName=DNS:other.example\nextendedKeyUsage=serverAuth\n');
  makeCa(dir, 'foreign-ca');
  makeLeaf(dir, 'foreign-ca', 'foreign-server', SERVER_EXT);
  const p = (f: string) => path.join(dir, f);
  return {
    dir,
    caCert: p('ca.pem'),
    serverCert: p('server.pem'),
    serverKey: p('server.key'),
    clientCert: p('client.pem'),
    clientKey: p('client.key'),
    foreignCaCert: p('foreign-ca.pem'),
    foreignServerCert: p('foreign-server.pem'),
    foreignServerKey: p('foreign-server.key'),
    wrongNameCert: p('wrong-name.pem'),
    wrongNameKey: p('wrong-name.key'),
  };
}
