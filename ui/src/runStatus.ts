// What a run's journal status (the generated RunStatus) means for the windows that list
// runs: whether it is unfinished (offered for resume or roll-back), and its words.
import type { RunStatus } from "./bindings/RunStatus";
import type { RunSummary } from "./bindings/RunSummary";

export type { RunStatus };

/** Every status, classified: a status the Rust side adds fails the type check until it is placed. */
const UNFINISHED: Record<RunStatus, boolean> = {
  planned: true,
  applying: true,
  applied: false,
  verified: false,
  "verify-failed": false,
  "awaiting-platform": false,
  failed: true,
  cancelled: true,
  "rolling-back": true,
  "rolled-back": false,
  "rollback-incomplete": true,
};

/** Made only in part, or being rolled back: offered for resume or roll-back when the app opens and in History. */
export function isUnfinished(r: Pick<RunSummary, "status">): boolean {
  return UNFINISHED[r.status];
}

/** How each status reads (the core's `RunStatus::label`); a new status must be given its words. */
const LABEL: Record<RunStatus, string> = {
  planned: "planned",
  applying: "applying",
  applied: "applied",
  verified: "verified",
  "verify-failed": "verify-failed",
  "awaiting-platform": "awaiting the platform's check",
  failed: "failed",
  cancelled: "cancelled",
  "rolling-back": "rolling-back",
  "rolled-back": "rolled-back",
  "rollback-incomplete": "rollback-incomplete",
};

export function statusLabel(s: RunStatus): string {
  return LABEL[s];
}
