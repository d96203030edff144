/**
 * The rule rmqctl applies to files holding secrets (ACL secrets, profile, private keys), as ssh does
 * with an identity file: no access at all for group or others.
 */

/** The permissions as four octal digits ("0644") when group or others have any access, else undefined. */
export function openToOthers(mode: number): string | undefined {
  return (mode & 0o077) === 0 ? undefined : (mode & 0o777).toString(8).padStart(4, '0');
}
