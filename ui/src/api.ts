// The typed client of the app's commands. The types come from the Rust side (ts-rs,
// ui/src/bindings; scripts/check-bindings.sh fails CI when they are stale). Errors
// arrive as CommandError: {code, message, fields}.
import { Channel, invoke } from "@tauri-apps/api/core";
import type { CallerIdentity } from "./bindings/CallerIdentity";
import type { Check } from "./bindings/Check";
import type { CommandError } from "./bindings/CommandError";
import type { Event } from "./bindings/Event";
import type { ExportRequest } from "./bindings/ExportRequest";
import type { FieldError } from "./bindings/FieldError";
import type { Format } from "./bindings/Format";
import type { IdentityChoice } from "./bindings/IdentityChoice";
import type { IdentitySources } from "./bindings/IdentitySources";
import type { Plan } from "./bindings/Plan";
import type { ProfileEdit } from "./bindings/ProfileEdit";
import type { ProfileRequest } from "./bindings/ProfileRequest";
import type { Rendered } from "./bindings/Rendered";
import type { RollbackReport } from "./bindings/RollbackReport";
import type { RotationReport } from "./bindings/RotationReport";
import type { RunDetail } from "./bindings/RunDetail";
import type { RunInputs } from "./bindings/RunInputs";
import type { RunSummary } from "./bindings/RunSummary";
import type { SecretSave } from "./bindings/SecretSave";
import type { SessionInfo } from "./bindings/SessionInfo";
import type { Step } from "./bindings/Step";
import type { Template } from "./bindings/Template";
import type { TestOutcome } from "./bindings/TestOutcome";
import type { TestRequest } from "./bindings/TestRequest";
import type { VerifyReport } from "./bindings/VerifyReport";
import type { WriteReport } from "./bindings/WriteReport";

export type {
  CallerIdentity,
  Check,
  CommandError,
  Event,
  ExportRequest,
  FieldError,
  Format,
  IdentityChoice,
  IdentitySources,
  Plan,
  ProfileEdit,
  ProfileRequest,
  Rendered,
  RollbackReport,
  RotationReport,
  RunDetail,
  RunInputs,
  RunSummary,
  SecretSave,
  SessionInfo,
  Step,
  Template,
  TestOutcome,
  TestRequest,
  VerifyReport,
  WriteReport,
};

export function isCommandError(e: unknown): e is CommandError {
  return typeof e === "object" && e !== null && "code" in e && "message" in e;
}

/** Any thrown value as a CommandError (the UI shows code and message). */
export function asCommandError(e: unknown): CommandError {
  if (isCommandError(e)) return { code: e.code, message: e.message, fields: e.fields ?? [] };
  return { code: "internal", message: String(e), fields: [] };
}

function streamed<T>(cmd: string, args: Record<string, unknown>, onEvent?: (e: Event) => void): Promise<T> {
  const channel = new Channel<Event>();
  channel.onmessage = (e) => onEvent?.(e);
  return invoke<T>(cmd, { ...args, onEvent: channel });
}

export const api = {
  templates: () => invoke<Template[]>("templates"),
  loadTemplate: (path: string) => invoke<Template>("load_template", { path }),
  newExternalId: () => invoke<string>("new_external_id"),
  identitySources: () => invoke<IdentitySources>("identity_sources"),
  connect: (choice: IdentityChoice) => invoke<SessionInfo>("connect", { choice }),
  plan: (template: Template, inputs: RunInputs) => invoke<Plan>("plan", { template, inputs }),
  startRun: (plan: Plan, inputs: RunInputs) => invoke<string>("start_run", { plan, inputs }),
  applyRun: (runId: string, onEvent: (e: Event) => void) => streamed<RunSummary>("apply_run", { runId }, onEvent),
  cancelRun: (runId: string) => invoke<boolean>("cancel_run", { runId }),
  verifyRun: (runId: string, onEvent?: (e: Event) => void) => streamed<VerifyReport>("verify_run", { runId }, onEvent),
  rollbackRun: (runId: string, onEvent?: (e: Event) => void) => streamed<RollbackReport>("rollback_run", { runId }, onEvent),
  runs: () => invoke<RunSummary[]>("runs"),
  runDetail: (runId: string) => invoke<RunDetail>("run_detail", { runId }),
  exportPreview: (runId: string, request: ExportRequest) => invoke<Rendered>("export_preview", { runId, request }),
  exportCopy: (runId: string, request: ExportRequest) => invoke<boolean>("export_copy", { runId, request }),
  exportSave: (runId: string, request: ExportRequest, path: string) => invoke<string>("export_save", { runId, request, path }),
  profilePreview: (runId: string, request: ProfileRequest) => invoke<ProfileEdit>("profile_preview", { runId, request }),
  profileWrite: (runId: string, request: ProfileRequest) => invoke<WriteReport>("profile_write", { runId, request }),
  testConnection: (request: TestRequest, onEvent?: (e: Event) => void) => streamed<TestOutcome>("test_connection", { request }, onEvent),
  testRun: (runId: string, onEvent?: (e: Event) => void) => streamed<VerifyReport>("test_run", { runId }, onEvent),
  uiReady: (marks: [string, number][]) => invoke<void>("ui_ready", { marks }),
  rotateKey: (runId: string, onEvent?: (e: Event) => void) => streamed<RotationReport>("rotate_key", { runId }, onEvent),
};

/** A run request for a format with nothing revealed. */
export function exportRequest(format: Format, extra: Partial<ExportRequest> = {}): ExportRequest {
  return { format, name: null, temporary: false, reveal: false, integration: null, stacks: [], ...extra };
}
