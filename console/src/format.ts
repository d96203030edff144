export const num = (n: number | null | undefined): string => (n === null || n === undefined ? '—' : n.toLocaleString('en-US'));
export const rate = (n: number | null | undefined): string => (n === null || n === undefined ? '—' : `${n.toFixed(n < 10 ? 1 : 0)}/s`);
export const time = (ms: number | null | undefined): string => (ms === null || ms === undefined || ms <= 0 ? '—' : new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z'));
export function age(ms: number | undefined): string {
  if (ms === undefined) return '—';
  if (ms < 1_000) return `${ms} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(0)} s`;
  return `${(ms / 60_000).toFixed(0)} min`;
}
export function bytes(n: number | undefined): string {
  if (n === undefined) return '—';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}
/** A datetime-local input's value (local time) ↔ epoch ms. */
export const fromLocalInput = (v: string): number | undefined => (v === '' ? undefined : new Date(v).getTime());
export function toLocalInput(ms: number): string {
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000);
  return d.toISOString().slice(0, 16);
}
