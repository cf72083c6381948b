// The typed client of the app's commands. Every call goes through `invoke`; errors
// arrive as {code, message} from the Rust side.
// The types come from the Rust side (ts-rs, ui/src/bindings; scripts/check-bindings.sh).
import { invoke } from "@tauri-apps/api/core";
import type { CommandError } from "./bindings/CommandError";
import type { TemplateSummary } from "./bindings/TemplateSummary";

export type { CommandError, TemplateSummary };

export function isCommandError(e: unknown): e is CommandError {
  return typeof e === "object" && e !== null && "code" in e && "message" in e;
}

export const api = {
  templates: () => invoke<TemplateSummary[]>("templates"),
};
