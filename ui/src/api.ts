// The typed client of the app's commands. The types come from the Rust side (ts-rs,
// ui/src/bindings; scripts/check-bindings.sh fails CI when they are stale). Screens call
// these through useCommand, which turns a rejection into the error they show.
import { Channel, invoke } from "@tauri-apps/api/core";
import type { CallerIdentity } from "./bindings/CallerIdentity";
import type { Check } from "./bindings/Check";
import type { Copied } from "./bindings/Copied";
import type { Event } from "./bindings/Event";
import type { ExportRequest } from "./bindings/ExportRequest";
import type { ExternalIdChange } from "./bindings/ExternalIdChange";
import type { FieldError } from "./bindings/FieldError";
import type { FleetApplyRequest } from "./bindings/FleetApplyRequest";
import type { FleetReport } from "./bindings/FleetReport";
import type { FleetSummary } from "./bindings/FleetSummary";
import type { FleetTargets } from "./bindings/FleetTargets";
import type { Format } from "./bindings/Format";
import type { IdentityChoice } from "./bindings/IdentityChoice";
import type { IdentitySources } from "./bindings/IdentitySources";
import type { LoadedTemplate } from "./bindings/LoadedTemplate";
import type { Plan } from "./bindings/Plan";
import type { PlannedRole } from "./bindings/PlannedRole";
import type { ProfileEdit } from "./bindings/ProfileEdit";
import type { ProfileRequest } from "./bindings/ProfileRequest";
import type { Rendered } from "./bindings/Rendered";
import type { RollbackReport } from "./bindings/RollbackReport";
import type { RotationReport } from "./bindings/RotationReport";
import type { RunDetail } from "./bindings/RunDetail";
import type { RunInputs } from "./bindings/RunInputs";
import type { RunSummary } from "./bindings/RunSummary";
import type { SecretSave } from "./bindings/SecretSave";
import type { SeqeraWorkspaces } from "./bindings/SeqeraWorkspaces";
import type { SeqeraConnection } from "./bindings/SeqeraConnection";
import type { SessionInfo } from "./bindings/SessionInfo";
import type { SignedIn } from "./bindings/SignedIn";
import type { SignedOut } from "./bindings/SignedOut";
import type { StartRequest } from "./bindings/StartRequest";
import type { Step } from "./bindings/Step";
import type { Template } from "./bindings/Template";
import type { TemplateRef } from "./bindings/TemplateRef";
import type { TestOutcome } from "./bindings/TestOutcome";
import type { TestRequest } from "./bindings/TestRequest";
import type { VerifyOutcome } from "./bindings/VerifyOutcome";
import type { VerifyReport } from "./bindings/VerifyReport";
import type { Workspace } from "./bindings/Workspace";
import type { WriteReport } from "./bindings/WriteReport";

export type {
  CallerIdentity,
  Check,
  Copied,
  Event,
  ExportRequest,
  ExternalIdChange,
  FieldError,
  FleetApplyRequest,
  FleetReport,
  FleetSummary,
  FleetTargets,
  Format,
  IdentityChoice,
  IdentitySources,
  LoadedTemplate,
  Plan,
  PlannedRole,
  ProfileEdit,
  ProfileRequest,
  Rendered,
  RollbackReport,
  RotationReport,
  RunDetail,
  RunInputs,
  RunSummary,
  SecretSave,
  SeqeraWorkspaces,
  SeqeraConnection,
  SessionInfo,
  SignedIn,
  SignedOut,
  StartRequest,
  Step,
  Template,
  TemplateRef,
  TestOutcome,
  TestRequest,
  VerifyOutcome,
  VerifyReport,
  Workspace,
  WriteReport,
};

function streamed<T>(cmd: string, args: Record<string, unknown>, onEvent?: (e: Event) => void): Promise<T> {
  const channel = new Channel<Event>();
  channel.onmessage = (e) => onEvent?.(e);
  return invoke<T>(cmd, { ...args, onEvent: channel });
}

export const api = {
  templates: () => invoke<Template[]>("templates"),
  /** Opens the file dialog on the Rust side; null when the person cancels. */
  loadTemplate: () => invoke<LoadedTemplate | null>("load_template"),
  newExternalId: () => invoke<string>("new_external_id"),
  identitySources: () => invoke<IdentitySources>("identity_sources"),
  connect: (choice: IdentityChoice) => invoke<SessionInfo>("connect", { choice }),
  plan: (template: TemplateRef, inputs: RunInputs) => invoke<Plan>("plan", { template, inputs }),
  startRun: (request: StartRequest) => invoke<string>("start_run", { request }),
  applyRun: (runId: string, onEvent: (e: Event) => void) => streamed<RunSummary>("apply_run", { runId }, onEvent),
  cancelRun: (runId: string) => invoke<boolean>("cancel_run", { runId }),
  verifyRun: (runId: string, onEvent?: (e: Event) => void) => streamed<VerifyOutcome>("verify_run", { runId }, onEvent),
  rollbackRun: (runId: string, onEvent?: (e: Event) => void) => streamed<RollbackReport>("rollback_run", { runId }, onEvent),
  /** Credential made in the workspace, Seqera's External ID taken, Seqera's check; blank name: the default. */
  seqeraConnect: (runId: string, workspace: string, credentialName: string | null, onEvent?: (e: Event) => void) =>
    streamed<SeqeraConnection>("seqera_connect", { runId, workspace, credentialName }, onEvent),
  runs: () => invoke<RunSummary[]>("runs"),
  runDetail: (runId: string) => invoke<RunDetail>("run_detail", { runId }),
  exportPreview: (runId: string, request: ExportRequest) => invoke<Rendered>("export_preview", { runId, request }),
  exportCopy: (runId: string, request: ExportRequest) => invoke<Copied>("export_copy", { runId, request }),
  /** Opens the save dialog on the Rust side; the path saved, or null when cancelled. */
  exportSave: (runId: string, request: ExportRequest) => invoke<string | null>("export_save", { runId, request }),
  profilePreview: (runId: string, request: ProfileRequest) => invoke<ProfileEdit>("profile_preview", { runId, request }),
  profileWrite: (runId: string, request: ProfileRequest) => invoke<WriteReport>("profile_write", { runId, request }),
  testConnection: (request: TestRequest, onEvent?: (e: Event) => void) => streamed<TestOutcome>("test_connection", { request }, onEvent),
  testRun: (runId: string, onEvent?: (e: Event) => void) => streamed<VerifyReport>("test_run", { runId }, onEvent),
  uiReady: (marks: [string, number][]) => invoke<void>("ui_ready", { marks }),
  rotateKey: (runId: string, onEvent?: (e: Event) => void) => streamed<RotationReport>("rotate_key", { runId }, onEvent),
  /** The token crosses once, to the keychain; it is never answered back. */
  seqeraSignIn: (url: string, token: string) => invoke<SignedIn>("seqera_sign_in", { url, token }),
  seqeraSession: () => invoke<SignedIn | null>("seqera_session"),
  seqeraWorkspaces: () => invoke<SeqeraWorkspaces>("seqera_workspaces"),
  seqeraSignOut: () => invoke<SignedOut>("seqera_sign_out"),
  setExternalId: (runId: string, roleKey: string | null, value: string, onEvent?: (e: Event) => void) =>
    streamed<ExternalIdChange>("set_external_id", { runId, roleKey, value }, onEvent),
  fleetTargets: () => invoke<FleetTargets>("fleet_targets"),
  /** The fleet's id reaches `onStarted` once the core has checked and journaled it, before anything is made. */
  fleetApply: (request: FleetApplyRequest, onStarted: (fleetId: string) => void, onEvent?: (e: Event) => void) => {
    const started = new Channel<string>();
    started.onmessage = onStarted;
    return streamed<FleetReport>("fleet_apply", { request, onStarted: started }, onEvent);
  },
  fleetResume: (fleetId: string, onEvent?: (e: Event) => void) => streamed<FleetReport>("fleet_resume", { fleetId }, onEvent),
  fleetRetry: (fleetId: string, onEvent?: (e: Event) => void) => streamed<FleetReport>("fleet_retry", { fleetId }, onEvent),
  fleetStatus: (fleetId: string, onEvent?: (e: Event) => void) => streamed<FleetReport>("fleet_status", { fleetId }, onEvent),
  fleetRollback: (fleetId: string, onEvent?: (e: Event) => void) => streamed<FleetReport>("fleet_rollback", { fleetId }, onEvent),
  fleetList: () => invoke<FleetSummary[]>("fleet_list"),
};

/** A run request for a format with nothing revealed. */
export function exportRequest(format: Format, extra: Partial<ExportRequest> = {}): ExportRequest {
  return { format, name: null, temporary: false, reveal: false, integrations: {}, stacks: [], ...extra };
}
