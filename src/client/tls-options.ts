/**
 * How rmqctl connects with TLS: from its flags, else from the environment (RMQCTL_TLS=off|on|require,
 * RMQCTL_TLS_CA, RMQCTL_TLS_CERT, RMQCTL_TLS_KEY). `on` (--tls) prefers TLS and falls back to
 * plain text only when the server speaks no TLS at all; `require` (--tls-require) never sends a
 * byte in plain text. Certificates are always verified, against the CA file when given, else the
 * system roots.
 */
import { InvalidInputError } from '../errors.js';
import type { ClientTls } from '../remoting/tls-config.js';
import { checkKeyMatchesCert, readCertificates, readPrivateKey, type TlsFileProblem } from '../remoting/tls-material.js';

export interface TlsChoice {
  tls?: boolean;
  tlsRequire?: boolean;
  ca?: string;
  cert?: string;
  key?: string;
}

const POLICIES = { off: undefined, on: 'prefer', require: 'require' } as const;

/** The ClientTls the choice and environment ask for, or undefined for plain text. Throws InvalidInputError on bad input. */
export function resolveClientTls(choice: TlsChoice, env: NodeJS.ProcessEnv = process.env): ClientTls | undefined {
  const envMode = env.RMQCTL_TLS?.trim().toLowerCase();
  if (envMode !== undefined && envMode !== '' && !(envMode in POLICIES)) {
    throw new InvalidInputError(`RMQCTL_TLS=${env.RMQCTL_TLS}: expected off, on or require`);
  }
  const policy = choice.tlsRequire ? 'require' : choice.tls ? 'prefer' : envMode ? POLICIES[envMode as keyof typeof POLICIES] : undefined;
  const ca = choice.ca ?? (env.RMQCTL_TLS_CA || undefined);
  const cert = choice.cert ?? (env.RMQCTL_TLS_CERT || undefined);
  const key = choice.key ?? (env.RMQCTL_TLS_KEY || undefined);
  if (policy === undefined) {
    if (choice.ca !== undefined || choice.cert !== undefined || choice.key !== undefined) {
      throw new InvalidInputError('--tls-ca, --tls-cert and --tls-key need --tls or --tls-require');
    }
    return undefined;
  }
  const found: TlsFileProblem[] = [];
  const out: ClientTls = { policy, verify: true };
  if (ca !== undefined) out.ca = readCertificates('--tls-ca', ca, found);
  if ((cert === undefined) !== (key === undefined)) throw new InvalidInputError('--tls-cert and --tls-key go together (a client certificate and its private key)');
  if (cert !== undefined && key !== undefined) {
    out.cert = readCertificates('--tls-cert', cert, found);
    out.key = readPrivateKey('--tls-key', key, found);
    if (out.cert !== undefined && out.key !== undefined) checkKeyMatchesCert('--tls-cert', cert, '--tls-key', key, out.cert, out.key, found);
  }
  if (found.length > 0) throw new InvalidInputError('TLS files cannot be used', found.map((p) => `${p.key}: ${p.message}`));
  return out;
}
