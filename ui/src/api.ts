// The typed client of the app's commands. The types come from the Rust side (ts-rs,
// ui/src/bindings; scripts/check-bindings.sh fails CI when they are stale). Errors
// arrive as CommandError: {code, message, fields}.
import { Channel, invoke } from "@tauri-apps/api/core";
import type { CallerIdentity } from "./bindings/CallerIdentity";
import type { CommandError } from "./bindings/CommandError";
import type { Event } from "./bindings/Event";
import type { IdentityChoice } from "./bindings/IdentityChoice";
import type { Plan } from "./bindings/Plan";
import type { RollbackReport } from "./bindings/RollbackReport";
import type { RunInputs } from "./bindings/RunInputs";
import type { RunSummary } from "./bindings/RunSummary";
import type { TemplateSummary } from "./bindings/TemplateSummary";
import type { VerifyReport } from "./bindings/VerifyReport";

export type { CallerIdentity, CommandError, Event, IdentityChoice, Plan, RollbackReport, RunInputs, RunSummary, TemplateSummary, VerifyReport };

export function isCommandError(e: unknown): e is CommandError {
  return typeof e === "object" && e !== null && "code" in e && "message" in e;
}

export const api = {
  templates: () => invoke<TemplateSummary[]>("templates"),
  awsProfiles: () => invoke<string[]>("aws_profiles"),
  connect: (choice: IdentityChoice) => invoke<CallerIdentity>("connect", { choice }),
  plan: (inputs: RunInputs) => invoke<Plan>("plan", { inputs }),
  startRun: (plan: Plan, inputs: RunInputs) => invoke<string>("start_run", { plan, inputs }),
  applyRun: (runId: string, onEvent: (e: Event) => void) => {
    const channel = new Channel<Event>();
    channel.onmessage = onEvent;
    return invoke<RunSummary>("apply_run", { runId, onEvent: channel });
  },
  verifyRun: (runId: string) => invoke<VerifyReport>("verify_run", { runId }),
  rollbackRun: (runId: string) => invoke<RollbackReport>("rollback_run", { runId }),
  runs: () => invoke<RunSummary[]>("runs"),
};
