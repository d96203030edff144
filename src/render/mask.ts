/**
 * What plans, review trees and manifests show of a file that holds secrets: the file with each
 * secret replaced by a short mark, so a change is visible and the value is not.
 */
import { maskAclText, secretMark } from './acl-file.js';
import type { EntryRole } from './fileset.js';

export function maskSecretText(role: EntryRole, text: string): string {
  if (role === 'acl') return maskAclText(text);
  // anything else secret (a private key) is one opaque value
  return `# ${role === 'tls-key' ? 'private key' : 'secret'}, not shown: ${secretMark(text)}\n`;
}
