/**
 * Reading certificates and keys named by configuration keys, with errors that say which key and
 * which file (missing, unreadable, not PEM, key not matching its certificate). Key material is
 * never put into an error message.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';

export interface TlsFileProblem {
  key: string;
  file: string;
  message: string;
}

function readPem(key: string, file: string, problems: TlsFileProblem[]): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    problems.push({ key, file, message: `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` });
    return undefined;
  }
}

/** The PEM blocks of a certificate bundle, in file order. */
export function certificateBlocks(pem: string): string[] {
  return pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

/** A PEM certificate bundle (one or more certificates); undefined with a problem when it is not one. */
export function readCertificates(key: string, file: string, problems: TlsFileProblem[]): string | undefined {
  const pem = readPem(key, file, problems);
  return pem === undefined ? undefined : parseCertificates(key, file, pem, problems);
}

/** `pem` (read from `file`) as a certificate bundle, or undefined with a problem. */
function parseCertificates(key: string, file: string, pem: string, problems: TlsFileProblem[]): string | undefined {
  const blocks = certificateBlocks(pem);
  if (blocks.length === 0) {
    problems.push({ key, file, message: `${file} holds no PEM certificate (expected -----BEGIN CERTIFICATE-----)` });
    return undefined;
  }
  for (const [i, b] of blocks.entries()) {
    try {
      new crypto.X509Certificate(b);
    } catch (e) {
      problems.push({ key, file, message: `${file}: certificate ${i + 1} is not valid PEM/X.509 (${(e as Error).message})` });
      return undefined;
    }
  }
  return pem;
}

/** A PEM private key (unencrypted: an encrypted key would need its password in a config file). */
export function readPrivateKey(key: string, file: string, problems: TlsFileProblem[]): string | undefined {
  const pem = readPem(key, file, problems);
  return pem === undefined ? undefined : parsePrivateKey(key, file, pem, problems);
}

/** `pem` (from `source`: a file or an environment variable) as an unencrypted private key, or undefined with a problem. */
export function parsePrivateKey(key: string, source: string, pem: string, problems: TlsFileProblem[]): string | undefined {
  if (/ENCRYPTED/.test(pem)) {
    problems.push({ key, file: source, message: `${source} is an encrypted private key; rmqd needs an unencrypted PEM key readable only by the service user` });
    return undefined;
  }
  try {
    crypto.createPrivateKey(pem);
  } catch {
    // the parser's message may quote the input; keep key material out of errors
    problems.push({ key, file: source, message: `${source} is not a PEM private key (expected -----BEGIN PRIVATE KEY----- or -----BEGIN RSA/EC PRIVATE KEY-----)` });
    return undefined;
  }
  return pem;
}

/** Problem when the first certificate of `certPem` is not for `keyPem`. */
export function checkKeyMatchesCert(certKey: string, certFile: string, keyKey: string, keyFile: string, certPem: string, keyPem: string, problems: TlsFileProblem[]): void {
  const cert = new crypto.X509Certificate(certPem);
  if (!cert.checkPrivateKey(crypto.createPrivateKey(keyPem))) {
    problems.push({ key: keyKey, file: keyFile, message: `${keyKey} ${keyFile} is not the private key of ${certKey} ${certFile}` });
  }
}
