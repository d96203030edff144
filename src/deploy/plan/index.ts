/** Plan: desired FileSets vs observed hosts → per-host changes and ordered actions. */
export {
  planCluster,
  rollingOrder,
  type EntryChange,
  type EntryChangeKind,
  type HostObservation,
  type HostPlan,
  type ObservedEntry,
  type Plan,
  type PlanAction,
  type PlanSummary,
  type ServiceObservation,
} from './plan.js';
export { EMPTY_HOST, LOCAL_FS, type ObservedHost } from './observed.js';
export { describeAction, formatPlan, type FormatOptions } from './format.js';
export { parseSavedPlan, planDrift, type DriftProblem } from './drift.js';
