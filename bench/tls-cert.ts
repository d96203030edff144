/**
 * Bench helper (not product code): a self-signed EC P-256 certificate for 127.0.0.1, made with
 * openssl in a temp directory, for the TLS variants of the remoting and broker benches. The same
 * certificate is the servers' identity and the clients' trust anchor.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface BenchCert {
  dir: string;
  certFile: string;
  keyFile: string;
  certPem: string;
  remove: () => void;
}

export function makeBenchCert(): BenchCert {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rmq-bench-tls-'));
  const certFile = path.join(dir, 'bench.pem');
  const keyFile = path.join(dir, 'bench.key');
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', '/CN=rmq-bench', '-addext', 'subjectAltName=IP:127.0.0.1'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  fs.chmodSync(keyFile, 0o600);
  return { dir, certFile, keyFile, certPem: fs.readFileSync(certFile, 'utf8'), remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}
