// Data shaped as the Rust side sends it (the types are the generated bindings).
import type { Plan, RunDetail, SessionInfo, Template } from "../api";

export const template: Template = {
  format: "rolegate-template/1",
  id: "seqera-batch-launch",
  name: "Seqera Batch launch",
  platform: "Seqera Platform",
  description: "Launch pipelines on an existing AWS Batch queue.",
  mode: "key+role",
  variables: [],
  policies: [{ key: "main", name: "seqera-batch-launch", description: "", document: { Version: "2012-10-17", Statement: [] } }],
  user: { name: "seqera-launch", attach: [], verify_actions: [] },
  roles: [
    {
      key: "main",
      name: "seqera-launch",
      description: "Assumed by Seqera",
      trusted: "created-user",
      external_id: { scheme: "uuid" },
      attach: ["policy:main"],
      max_session_seconds: 3600,
      verify_actions: [],
    },
  ],
  exports: ["seqera", "aws-profile", "env"],
  source: "",
  features: [],
};

export const session: SessionInfo = {
  who: { account: "123456789012", arn: "arn:aws:iam::123456789012:user/admin", user_id: "AIDAEXAMPLE" },
  label: "profile ops",
  source: "profile ops, keys from the credentials file",
  sandbox: false,
  region: "eu-west-1",
  home: "/home/u/.local/share/rolegate",
  notice: null,
};

export function plan(extra: Partial<Plan> = {}): Plan {
  return {
    run_id: "rg-000000000001",
    template_id: "seqera-batch-launch",
    template_name: "Seqera Batch launch",
    mode: "key+role",
    account: "123456789012",
    partition: "aws",
    region: "eu-west-1",
    caller_arn: "arn:aws:iam::123456789012:user/admin",
    identity: { kind: "profile", profile: "ops", chosen: "named", credentials: { kind: "credentials-file-keys" } },
    path: "/",
    tags: [{ key: "rolegate:run-id", value: "rg-000000000001" }],
    policies: [{ key: "main", name: "seqera-batch-launch", arn: "arn:aws:iam::123456789012:policy/seqera-batch-launch", description: "", document: {} }],
    user: { name: "seqera-launch", arn: "arn:aws:iam::123456789012:user/seqera-launch", attach: [], inline_policy: null, verify_actions: [] },
    roles: [],
    steps: [
      { id: "policy:main", summary: "Create the managed policy seqera-batch-launch", call: { operation: "iam:CreateUser", user_name: "x", path: "/", tags: [] }, after: [] },
      { id: "user", summary: "Create the IAM user seqera-launch", call: { operation: "iam:CreateUser", user_name: "seqera-launch", path: "/", tags: [] }, after: [] },
      { id: "wait:key", summary: "Wait until AWS accepts the new access key", call: { operation: "iam:CreateAccessKey", user_name: "seqera-launch" }, after: ["user"] },
    ],
    lints: [],
    ...extra,
  };
}

export function detail(extra: Partial<RunDetail> = {}): RunDetail {
  return {
    summary: {
      run_id: "rg-000000000001",
      template_id: "seqera-batch-launch",
      status: "verified",
      account: "123456789012",
      region: "eu-west-1",
      created_at: "2026-11-22T08:00:00Z",
      updated_at: "2026-11-22T08:01:00Z",
      live_resources: 3,
    },
    template_name: "Seqera Batch launch",
    default_name: "rolegate-seqera-batch-launch",
    seqera_credential_name: "rolegate-seqera-batch-launch-rg-000000000001",
    caller_arn: "arn:aws:iam::123456789012:user/admin",
    live: ["access key AKIAEXAMPLE0000001 of user seqera-launch", "IAM user seqera-launch", "IAM role seqera-launch"],
    access_key_id: "AKIAEXAMPLE0000001",
    user: "seqera-launch",
    roles: [["arn:aws:iam::123456789012:role/seqera-launch", "3ed8a467-5f28-4a8c-9219-3575a783dd05"]],
    profiles: [],
    formats: ["sh", "aws-profile"],
    verification: null,
    last_error: null,
    history: [],
    rotation: null,
    plan: plan(),
    ...extra,
  };
}
