// What a run's journal status (the generated RunStatus) means for the windows that list
// runs: whether it is unfinished (offered for resume or roll-back).
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
