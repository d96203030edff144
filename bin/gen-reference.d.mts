// Types of bin/gen-reference.mjs for its test (test/docs/reference.test.ts).
export declare const REFERENCE_FILES: { cli: string; broker: string; namesrv: string };
export interface ManifestCommand {
  id: string;
  hidden?: boolean;
  summary?: string;
  description?: string;
  args: Record<string, { name: string; hidden?: boolean }>;
  flags: Record<string, { name: string; hidden?: boolean; char?: string; type: 'boolean' | 'option' }>;
}
/** oclif's manifest of the built CLI (what `oclif manifest` writes). */
export declare function loadManifest(root?: string): Promise<{ commands: Record<string, ManifestCommand> }>;
/** Every reference page, rendered: `{ [repo-relative path]: text }`. */
export declare function renderReference(root?: string): Promise<Record<string, string>>;
