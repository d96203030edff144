/**
 * Reads the files a topology's `tls:` section names — the CA bundle, each host's certificate and
 * its key (a secret reference) — and checks them before anything is rendered or pushed: PEM that
 * parses, a key that belongs to its certificate, a chain to the CA, dates, key usage, and names
 * that cover every address the host's nodes are reached at (a certificate that does not would
 * only fail at the first handshake, on the host). Errors name the field and the file, never
 * key material.
 */
import crypto from 'node:crypto';
import { InvalidInputError } from '../errors.js';
import { expandHome } from '../util/home.js';
import { certificateBlocks, checkKeyMatchesCert, parsePrivateKey, readCertificates, type TlsFileProblem } from '../remoting/tls-material.js';
import type { ClusterModel, HostModel } from './model.js';
import type { TlsSection } from './schema.js';
import { readSecretRef, type SecretEnvironment } from './secrets.js';

/** PEM text of the files one host gets. */
export interface HostTlsFiles {
  ca: string;
  cert: string;
  key: string;
}

/** By host name: every host that runs nodes. */
export type ResolvedTls = ReadonlyMap<string, HostTlsFiles>;

const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

export interface TlsCheckOptions extends SecretEnvironment {
  /** The moment validity is checked at (default: now). */
  now?: Date;
}

export function resolveTlsFiles(model: ClusterModel, opts: TlsCheckOptions = {}): ResolvedTls {
  const spec = model.tls;
  if (spec === null) return new Map();
  const local = (p: string) => expandHome(p, opts.home);
  const problems: string[] = [];
  const found: TlsFileProblem[] = [];
  const caFile = local(spec.ca);
  const ca = readCertificates('tls.ca', caFile, found);
  const roots = ca === undefined ? [] : certificateBlocks(ca).map((b) => new crypto.X509Certificate(b));

  // one check per distinct certificate: hosts sharing tls.cert share its problems
  const byCert = new Map<string, { field: string; hosts: HostModel[] }>();
  for (const host of model.hosts) {
    if (host.tls === null) continue;
    const own = spec.hosts?.[host.name];
    const field = own ? `tls.hosts.${host.name}` : 'tls';
    const entry = byCert.get(field) ?? { field, hosts: [] };
    entry.hosts.push(host);
    byCert.set(field, entry);
  }
  const out = new Map<string, HostTlsFiles>();
  for (const { field, hosts } of byCert.values()) {
    const pair = field === 'tls' ? { cert: spec.cert, key: spec.key } : spec.hosts?.[hosts[0]!.name];
    if (pair?.cert === undefined || pair.key === undefined) continue; // reported by validateTopology
    const certFile = local(pair.cert);
    const cert = readCertificates(`${field}.cert`, certFile, found);
    const keyRef = readSecretRef(pair.key, `${field}.key`, `the private key of ${certFile}`, opts);
    if ('problem' in keyRef) {
      problems.push(keyRef.problem);
      continue;
    }
    const key = parsePrivateKey(`${field}.key`, keyRef.source, keyRef.value, found);
    if (cert === undefined || key === undefined) continue;
    const before = found.length;
    checkKeyMatchesCert(`${field}.cert`, certFile, `${field}.key`, keyRef.source, cert, key, found);
    if (found.length > before) continue;
    problems.push(...certificateProblems(`${field}.cert`, certFile, cert, roots, spec, hosts, model, opts.now ?? new Date()));
    if (ca !== undefined) for (const h of hosts) out.set(h.name, { ca, cert, key });
  }
  problems.push(...found.map((p) => `${p.key}: ${p.message}`));
  if (problems.length > 0) throw new InvalidInputError('TLS files cannot be used', problems);
  return out;
}

/** What is wrong with a (parsed, key-matching) certificate for the hosts that use it. */
function certificateProblems(field: string, file: string, pem: string, roots: crypto.X509Certificate[], spec: TlsSection, hosts: HostModel[], model: ClusterModel, now: Date): string[] {
  const out: string[] = [];
  const chain = certificateBlocks(pem).map((b) => new crypto.X509Certificate(b));
  const leaf = chain[0]!;
  const from = new Date(leaf.validFrom);
  const to = new Date(leaf.validTo);
  if (now < from) out.push(`${field}: ${file} is not valid before ${from.toISOString()}`);
  if (now > to) out.push(`${field}: ${file} expired on ${to.toISOString()}`);
  if (roots.length > 0 && !chainsTo(chain, roots)) out.push(`${field}: ${file} (subject ${oneLine(leaf.subject)}) is not issued by a certificate of tls.ca (expected a chain, leaf first, ending at that CA)`);
  const usage = leaf.keyUsage; // extended key usage OIDs; undefined: any purpose
  if (usage !== undefined && !usage.includes(SERVER_AUTH)) out.push(`${field}: ${file} is not for TLS servers (its extended key usage lacks serverAuth)`);
  if (usage !== undefined && spec.clientAuth !== 'none' && !usage.includes(CLIENT_AUTH)) {
    out.push(`${field}: ${file} lacks the clientAuth extended key usage, which nodes need to connect to each other with tls.clientAuth: ${spec.clientAuth}`);
  }
  for (const host of hosts) {
    const addrs = new Set([host.address, ...model.nodes.filter((n) => n.host === host.name).map((n) => n.address)]);
    const missing = [...addrs].filter((a) => !covers(leaf, a));
    if (missing.length > 0) {
      out.push(`${field}: ${file} does not cover ${missing.join(', ')}, where host ${host.name}'s nodes are reached (expected ${missing.length === 1 ? 'it' : 'them'} in the certificate's subjectAltName)`);
    }
  }
  return out;
}

function chainsTo(chain: crypto.X509Certificate[], roots: crypto.X509Certificate[]): boolean {
  const issuedBy = (c: crypto.X509Certificate, by: crypto.X509Certificate) => c.checkIssued(by) && c.verify(by.publicKey);
  let cur = chain[0]!;
  const rest = chain.slice(1);
  for (let hops = 0; hops <= chain.length; hops++) {
    if (roots.some((r) => issuedBy(cur, r) || cur.fingerprint256 === r.fingerprint256)) return true;
    const next = rest.find((c) => issuedBy(cur, c));
    if (next === undefined) return false;
    cur = next;
  }
  return false;
}

function covers(cert: crypto.X509Certificate, address: string): boolean {
  return /^[\d.]+$/.test(address) || address.includes(':') ? cert.checkIP(address) !== undefined : cert.checkHost(address) !== undefined;
}

const oneLine = (dn: string) => dn.split('\n').join(', ');
