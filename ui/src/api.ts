// The typed client of the app's commands. Every call goes through `invoke`; errors
// arrive as {code, message} from the Rust side.
import { invoke } from "@tauri-apps/api/core";

export interface TemplateSummary {
  id: string;
  name: string;
  description: string;
  mode: "key" | "role" | "key+role";
}

export interface CommandError {
  code: string;
  message: string;
}

export function isCommandError(e: unknown): e is CommandError {
  return typeof e === "object" && e !== null && "code" in e && "message" in e;
}

export const api = {
  templates: () => invoke<TemplateSummary[]>("templates"),
};
