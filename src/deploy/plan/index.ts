/** Plan: desired FileSets vs observed hosts → per-host changes and ordered actions. */
export { planCluster, type EntryChange, type EntryChangeKind, type HostObservation, type HostPlan, type Plan, type PlanAction, type PlanSummary } from './plan.js';
export { EMPTY_HOST, LOCAL_FS, type ObservedHost } from './observed.js';
export { describeAction, formatPlan, type FormatOptions } from './format.js';
