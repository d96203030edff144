/**
 * How rmqctl connects with TLS. Each setting comes from the first place that sets it:
 *   1. flags: --tls (on) / --tls-require (require), --tls-ca, --tls-cert + --tls-key;
 *   2. the environment: RMQCTL_TLS=off|on|require, RMQCTL_TLS_CA, RMQCTL_TLS_CERT + RMQCTL_TLS_KEY;
 *   3. the selected profile of the profile file: tls, tlsCa, tlsCert + tlsKey (./profile.ts).
 * A client certificate and its key are one setting: both come from the same place. `on` prefers
 * TLS and falls back to plain text only when the server speaks no TLS at all; `require` never
 * sends a byte in plain text. Certificates are always verified, against the CA file when given,
 * else the system roots. A client key file others may read is refused.
 */
import fs from 'node:fs';
import { InvalidInputError } from '../errors.js';
import { openToOthers } from '../util/file-mode.js';
import type { ClientTls } from '../remoting/tls-config.js';
import { checkKeyMatchesCert, readCertificates, readPrivateKey, type TlsFileProblem } from '../remoting/tls-material.js';
import { settingLabel, TLS_MODES, type Profile, type TlsMode } from './profile.js';

export interface TlsChoice {
  tls?: boolean;
  tlsRequire?: boolean;
  ca?: string;
  cert?: string;
  key?: string;
}

const POLICIES: Record<TlsMode, ClientTls['policy'] | undefined> = { off: undefined, on: 'prefer', require: 'require' };

/** One place settings come from, each value with the name to show in messages. */
interface TlsLayer {
  mode?: { value: TlsMode; label: string };
  ca?: Setting;
  cert?: Setting;
  key?: Setting;
}

type Setting = { value: string; label: string };
const setting = (value: string | undefined, label: string): Setting | undefined => (value === undefined || value === '' ? undefined : { value, label });

/** A layer without the settings it does not make (exactOptionalPropertyTypes: no undefined members). */
function layer(parts: { mode?: TlsLayer['mode'] | undefined; ca?: Setting | undefined; cert?: Setting | undefined; key?: Setting | undefined }): TlsLayer {
  return Object.fromEntries(Object.entries(parts).filter(([, v]) => v !== undefined)) as TlsLayer;
}

function flagLayer(choice: TlsChoice): TlsLayer {
  const mode = choice.tlsRequire ? 'require' : choice.tls ? 'on' : undefined;
  return layer({
    mode: mode ? { value: mode, label: choice.tlsRequire ? '--tls-require' : '--tls' } : undefined,
    ca: setting(choice.ca, '--tls-ca'),
    cert: setting(choice.cert, '--tls-cert'),
    key: setting(choice.key, '--tls-key'),
  });
}

function envLayer(env: NodeJS.ProcessEnv): TlsLayer {
  const raw = env.RMQCTL_TLS?.trim().toLowerCase();
  if (raw !== undefined && raw !== '' && !(TLS_MODES as readonly string[]).includes(raw)) {
    throw new InvalidInputError(`RMQCTL_TLS=${env.RMQCTL_TLS}: expected off, on or require`);
  }
  return layer({
    mode: raw ? { value: raw as TlsMode, label: 'RMQCTL_TLS' } : undefined,
    ca: setting(env.RMQCTL_TLS_CA, 'RMQCTL_TLS_CA'),
    cert: setting(env.RMQCTL_TLS_CERT, 'RMQCTL_TLS_CERT'),
    key: setting(env.RMQCTL_TLS_KEY, 'RMQCTL_TLS_KEY'),
  });
}

function profileLayer(p: Profile | undefined): TlsLayer {
  if (p === undefined) return {};
  const s = p.settings;
  return layer({
    mode: s.tls ? { value: s.tls.value as TlsMode, label: settingLabel(p, 'tls') } : undefined,
    ca: setting(s.tlsCa?.value, settingLabel(p, 'tlsCa')),
    cert: setting(s.tlsCert?.value, settingLabel(p, 'tlsCert')),
    key: setting(s.tlsKey?.value, settingLabel(p, 'tlsKey')),
  });
}

/** Like ssh with an identity file: a private key group or others may read is refused. */
function keyTooOpen(key: Setting, found: TlsFileProblem[]): boolean {
  let mode: number;
  try {
    mode = fs.statSync(key.value).mode;
  } catch {
    return false; // readPrivateKey says what is wrong with the path
  }
  const open = openToOthers(mode);
  if (open === undefined) return false;
  found.push({ key: key.label, file: key.value, message: `permissions ${open} for ${key.value} are too open: a private key must not be accessible by others (chmod 600 ${key.value})` });
  return true;
}

/**
 * The ClientTls that flags, environment and profile ask for, or undefined for plain text.
 * Throws InvalidInputError on bad input, naming where each bad setting came from.
 */
export function resolveClientTls(choice: TlsChoice, env: NodeJS.ProcessEnv = process.env, profile?: Profile): ClientTls | undefined {
  const flags = flagLayer(choice);
  const layers = [flags, envLayer(env), profileLayer(profile)];
  const mode = layers.find((l) => l.mode)?.mode?.value;
  const policy = mode === undefined ? undefined : POLICIES[mode];
  if (policy === undefined) {
    // flags only make sense with TLS on; paths kept in the environment or a profile for the days it is on are fine
    if (flags.ca || flags.cert || flags.key) {
      throw new InvalidInputError(`--tls-ca, --tls-cert and --tls-key need --tls or --tls-require${mode === 'off' ? ' (TLS is off: RMQCTL_TLS or the profile says tls = off)' : ''}`);
    }
    return undefined;
  }
  const ca = layers.find((l) => l.ca)?.ca;
  const pairLayer = layers.find((l) => l.cert || l.key);
  if (pairLayer && (pairLayer.cert === undefined || pairLayer.key === undefined)) {
    const [have, missing] = pairLayer.cert ? [pairLayer.cert.label, 'its key'] : [pairLayer.key!.label, 'its certificate'];
    throw new InvalidInputError(`${have} needs ${missing} from the same place (a client certificate and its private key go together: --tls-cert with --tls-key, RMQCTL_TLS_CERT with RMQCTL_TLS_KEY, tlsCert with tlsKey)`);
  }
  const found: TlsFileProblem[] = [];
  const out: ClientTls = { policy, verify: true };
  if (ca !== undefined) out.ca = readCertificates(ca.label, ca.value, found);
  if (pairLayer?.cert && pairLayer.key) {
    const { cert, key } = pairLayer;
    out.cert = readCertificates(cert.label, cert.value, found);
    out.key = keyTooOpen(key, found) ? undefined : readPrivateKey(key.label, key.value, found);
    if (out.cert !== undefined && out.key !== undefined) checkKeyMatchesCert(cert.label, cert.value, key.label, key.value, out.cert, out.key, found);
  }
  if (found.length > 0) throw new InvalidInputError('TLS files cannot be used', found.map((p) => `${p.key}: ${p.message}`));
  return out;
}
