/**
 * TLS configuration keys of broker.properties and namesrv.properties, named as RocketMQ 4.x names
 * them (TlsSystemConfig: there JVM system properties or tls.properties, here keys of the node's own
 * file), and their reading into what a server accepts with and a client connects with.
 *
 * Deviations from RocketMQ, on purpose: `tls.server.mode` defaults to `disabled` (RocketMQ:
 * permissive with a self-signed test certificate, which authenticates nothing), and
 * `tls.client.authServer` defaults to true (RocketMQ: false), so a node that turns TLS on verifies
 * its peers unless told not to.
 */
import tls from 'node:tls';
import type { KeySpec } from '../util/config-registry.js';
import { checkKeyMatchesCert, readCertificates, readPrivateKey, type TlsFileProblem } from './tls-material.js';

export const TLS_SERVER_MODES = ['disabled', 'permissive', 'enforcing'] as const;
export type TlsServerMode = (typeof TLS_SERVER_MODES)[number];
export const TLS_CLIENT_AUTH_MODES = ['none', 'optional', 'require'] as const;
export type TlsClientAuthMode = (typeof TLS_CLIENT_AUTH_MODES)[number];

const O = 'TlsSystemConfig';
const path = { kind: 'path' } as const;

export const TLS_SERVER_KEYS = {
  'tls.server.mode': { spec: { kind: 'enum', values: TLS_SERVER_MODES }, default: 'disabled', origin: O, description: 'disabled: plain only; permissive: plain and TLS on the same port; enforcing: TLS only' },
  'tls.server.certPath': { spec: path, default: null, origin: O, description: 'PEM certificate chain the node presents (required unless tls.server.mode=disabled)' },
  'tls.server.keyPath': { spec: path, default: null, origin: O, description: 'PEM private key of tls.server.certPath, unencrypted, mode 0600' },
  'tls.server.need.client.auth': { spec: { kind: 'enum', values: TLS_CLIENT_AUTH_MODES }, default: 'none', origin: O, description: 'client certificates: none, optional (verified when sent), require' },
  'tls.server.trustCertPath': { spec: path, default: null, origin: O, description: 'CA bundle client certificates must chain to (required unless need.client.auth=none)' },
} as const satisfies Record<string, KeySpec>;

/** The node's own outgoing connections (brokers only: a NameServer connects nowhere). */
export const TLS_CLIENT_KEYS = {
  'tls.enable': { spec: { kind: 'bool' }, default: false, origin: O, description: 'the node’s own outgoing connections (NameServer registration, HA) use TLS' },
  'tls.client.trustCertPath': { spec: path, default: null, origin: O, description: 'CA bundle the node verifies servers against (default: the system roots)' },
  'tls.client.certPath': { spec: path, default: null, origin: O, description: 'certificate the node presents as a client (for servers that ask)' },
  'tls.client.keyPath': { spec: path, default: null, origin: O, description: 'private key of tls.client.certPath' },
  'tls.client.authServer': { spec: { kind: 'bool' }, default: true, origin: O, description: 'verify the server certificate and its name against the address used (RocketMQ default: false)' },
  'tls.client.plainFallback': { spec: { kind: 'bool' }, default: false, origin: 'rmqd', description: 'reach a peer that speaks no TLS at all in plain text (turning TLS on across a running cluster); a certificate problem never falls back' },
} as const satisfies Record<string, KeySpec>;

export const TLS_KEYS = { ...TLS_SERVER_KEYS, ...TLS_CLIENT_KEYS } as const;

/** The TLS keys as the runtime config carries them. */
export interface TlsConfigValues {
  'tls.server.mode': TlsServerMode;
  'tls.server.certPath': string | null;
  'tls.server.keyPath': string | null;
  'tls.server.need.client.auth': TlsClientAuthMode;
  'tls.server.trustCertPath': string | null;
  'tls.enable': boolean;
  'tls.client.trustCertPath': string | null;
  'tls.client.certPath': string | null;
  'tls.client.keyPath': string | null;
  'tls.client.authServer': boolean;
  'tls.client.plainFallback': boolean;
}

/** How a server takes connections when TLS is on. */
export interface ServerTls {
  mode: Exclude<TlsServerMode, 'disabled'>;
  context: tls.SecureContextOptions;
  clientAuth: TlsClientAuthMode;
}

/** How a client connects with TLS. */
export interface ClientTls {
  /** PEM CA bundle to trust; unset = Node's default roots. */
  ca?: string;
  cert?: string;
  key?: string;
  /** Verify the server's certificate and name (default true). */
  verify?: boolean;
  /**
   * `require` (default): TLS or nothing. `prefer`: a peer that does not speak TLS at all (plain-only
   * server) is reached in plain text instead; a certificate problem never falls back.
   */
  policy?: 'require' | 'prefer';
}

function fileProblem(p: TlsFileProblem, configFile: string): string {
  return `${configFile}: ${p.key}: ${p.message}`;
}

/** The server side, or undefined when disabled; `problems` get one line per bad key. */
export function serverTlsFromConfig(c: Pick<TlsConfigValues, keyof typeof TLS_SERVER_KEYS>, configFile: string, problems: string[]): ServerTls | undefined {
  const mode = c['tls.server.mode'];
  if (mode === 'disabled') return undefined;
  const found: TlsFileProblem[] = [];
  const certPath = c['tls.server.certPath'];
  const keyPath = c['tls.server.keyPath'];
  if (certPath === null) problems.push(`${configFile}: tls.server.certPath: required when tls.server.mode=${mode}`);
  if (keyPath === null) problems.push(`${configFile}: tls.server.keyPath: required when tls.server.mode=${mode}`);
  const cert = certPath === null ? undefined : readCertificates('tls.server.certPath', certPath, found);
  const key = keyPath === null ? undefined : readPrivateKey('tls.server.keyPath', keyPath, found);
  if (cert !== undefined && key !== undefined) checkKeyMatchesCert('tls.server.certPath', certPath!, 'tls.server.keyPath', keyPath!, cert, key, found);
  const clientAuth = c['tls.server.need.client.auth'];
  const trustPath = c['tls.server.trustCertPath'];
  let ca: string | undefined;
  if (trustPath !== null) ca = readCertificates('tls.server.trustCertPath', trustPath, found);
  else if (clientAuth !== 'none') problems.push(`${configFile}: tls.server.trustCertPath: required when tls.server.need.client.auth=${clientAuth}`);
  problems.push(...found.map((p) => fileProblem(p, configFile)));
  if (cert === undefined || key === undefined) return undefined;
  return { mode, clientAuth, context: { cert, key, ...(ca !== undefined ? { ca } : {}) } };
}

/** The client side of the node's own connections, or undefined when `tls.enable` is off. */
export function clientTlsFromConfig(c: Pick<TlsConfigValues, keyof typeof TLS_CLIENT_KEYS>, configFile: string, problems: string[]): ClientTls | undefined {
  if (!c['tls.enable']) return undefined;
  const found: TlsFileProblem[] = [];
  const out: ClientTls = { verify: c['tls.client.authServer'], policy: c['tls.client.plainFallback'] ? 'prefer' : 'require' };
  const trust = c['tls.client.trustCertPath'];
  if (trust !== null) out.ca = readCertificates('tls.client.trustCertPath', trust, found);
  const certPath = c['tls.client.certPath'];
  const keyPath = c['tls.client.keyPath'];
  if ((certPath === null) !== (keyPath === null)) {
    problems.push(`${configFile}: ${certPath === null ? 'tls.client.certPath' : 'tls.client.keyPath'}: required together with ${certPath === null ? 'tls.client.keyPath' : 'tls.client.certPath'}`);
  } else if (certPath !== null && keyPath !== null) {
    out.cert = readCertificates('tls.client.certPath', certPath, found);
    out.key = readPrivateKey('tls.client.keyPath', keyPath, found);
    if (out.cert !== undefined && out.key !== undefined) checkKeyMatchesCert('tls.client.certPath', certPath, 'tls.client.keyPath', keyPath, out.cert, out.key, found);
  }
  problems.push(...found.map((p) => fileProblem(p, configFile)));
  return out;
}

/** What a node runs TLS with, read from the files its config names. */
export interface NodeTls {
  server?: ServerTls;
  client?: ClientTls;
}

/** Reads a node's TLS material; throws with every problem (key, file, what is wrong) at once. */
export function loadNodeTls(c: Partial<TlsConfigValues> & Pick<TlsConfigValues, keyof typeof TLS_SERVER_KEYS>, configFile: string, fail: (problems: string[]) => never): NodeTls {
  const problems: string[] = [];
  const server = serverTlsFromConfig(c, configFile, problems);
  const client = c['tls.enable'] === undefined ? undefined : clientTlsFromConfig(c as TlsConfigValues, configFile, problems);
  if (problems.length > 0) fail(problems);
  return { ...(server ? { server } : {}), ...(client ? { client } : {}) };
}
