//! `rolegate fleet targets`: the organization's OUs and accounts as the core's
//! `Engine::fleet_targets` reads them, printed as a tree (or `--json`), with the
//! management account named and told apart: service-managed StackSets never reach it.
//! `rolegate fleet template`: a plan's StackSet template (`Engine::fleet_template`), the
//! YAML on stdout and what to deploy it with on stderr. The commands that deploy and
//! follow a fleet are in `fleet_run`.

use clap::Subcommand;
use serde_json::json;

use rolegate_core::fleet::{FleetTargets, FleetTemplate, TargetAccount, TargetNode};
use rolegate_core::RunError;

use crate::fleet_run::{self, FleetApplyArgs};
use crate::{engine, inputs, load_template, render, Global, PlanArgs};

#[derive(Subcommand)]
pub enum FleetCommand {
    /// The organization's root, OUs (nested) and accounts, read from its management
    /// account or a StackSets delegated administrator.
    Targets,
    /// The StackSet template of a role-mode template's plan: the CloudFormation a single
    /// run would export, with each account's ARNs and the External ID as a parameter.
    Template(Box<PlanArgs>),
    /// Deploy a role-mode template to OUs or accounts with a StackSet, follow the
    /// operation account by account, then verify every account.
    Apply(Box<FleetApplyArgs>),
    /// Go on with a fleet that stopped: the same StackSet, the same operation id.
    Resume { fleet_id: String },
    /// Deploy again to the accounts whose instance failed, then verify.
    Retry { fleet_id: String },
    /// Delete every instance (their roles and policies), then the StackSet.
    Rollback { fleet_id: String },
    /// One row per account: instance status, verdict, reason; drift fails the account.
    Status { fleet_id: String },
    /// The fleets of this Rolegate home.
    List,
}

pub async fn run(g: &Global, cmd: FleetCommand) -> Result<i32, RunError> {
    match cmd {
        FleetCommand::Targets => {
            let (engine, _) = engine(g).await;
            let targets = engine.fleet_targets().await?;
            if g.json {
                render::print_json(&json!({ "fleet_targets": targets }));
            } else {
                print!("{}", tree(&targets));
            }
            Ok(0)
        }
        FleetCommand::Template(a) => {
            let (engine, connect) = engine(g).await;
            let t = load_template(&a)?;
            let made = engine.fleet_template(&t, &inputs(&a, &t, connect.region())?).await?;
            if g.json {
                render::print_json(&json!({ "fleet_template": made }));
            } else {
                print!("{}", made.stackset.body);
                eprint!("{}", deploy_hint(&made));
            }
            Ok(0)
        }
        FleetCommand::Apply(a) => {
            let (engine, connect) = engine(g).await;
            let t = load_template(&a.plan)?;
            let region = connect.region();
            let req = fleet_run::request(&a, region.clone())?;
            let r = engine.fleet_apply(&t, &inputs(&a.plan, &t, region)?, &req).await?;
            Ok(fleet_run::report(g, &r))
        }
        FleetCommand::Resume { fleet_id } => Ok(fleet_run::report(g, &engine(g).await.0.fleet_resume(&fleet_id).await?)),
        FleetCommand::Retry { fleet_id } => Ok(fleet_run::report(g, &engine(g).await.0.fleet_retry(&fleet_id).await?)),
        FleetCommand::Rollback { fleet_id } => Ok(fleet_run::report(g, &engine(g).await.0.fleet_rollback(&fleet_id).await?)),
        FleetCommand::Status { fleet_id } => Ok(fleet_run::report(g, &engine(g).await.0.fleet_status(&fleet_id).await?)),
        FleetCommand::List => {
            fleet_run::list(g, &engine(g).await.0.fleet_list()?);
            Ok(0)
        }
    }
}

/// What the template is and the StackSets calls that deploy it, for stderr.
fn deploy_hint(m: &FleetTemplate) -> String {
    let mut out = format!(
        "StackSet template of fleet {} (template {}, planned in account {}; each account gets its own ARNs).\n",
        m.fleet_id, m.template_id, m.planned_account
    );
    for p in &m.stackset.parameters {
        out.push_str(&format!(
            "parameter {}: External ID of role {}: {} in every account whose stack instance is not given \
             --parameter-overrides ParameterKey={},ParameterValue=VALUE\n",
            p.name, p.role_key, p.default, p.name
        ));
    }
    for l in &m.warnings {
        out.push_str(&format!("warning: {}: {}\n", l.field, l.message));
    }
    out.push_str(&format!(
        "Deploy it with: aws cloudformation create-stack-set --stack-set-name NAME --template-body file://TEMPLATE.yaml \
         --capabilities {} --permission-model SERVICE_MANAGED --auto-deployment Enabled=true,RetainStacksOnAccountRemoval=false; \
         then aws cloudformation create-stack-instances --stack-set-name NAME --deployment-targets OrganizationalUnitIds=OU_ID --regions REGION\n",
        m.stackset.capabilities.join(" ")
    ));
    out
}

/// The tree as text: one line per root, OU and account, indented by depth, then the
/// management account's line.
pub fn tree(t: &FleetTargets) -> String {
    let mut out = format!(
        "organization {} (management account {}; read as {} account {})\n",
        t.organization_id,
        t.management_account_id,
        if t.caller_is_management { "the management" } else { "delegated administrator" },
        t.caller_account_id
    );
    node(&t.root, 0, &mut out);
    let (ous, accounts) = (t.units().len(), t.accounts().len());
    out.push_str(&format!("{ous} OU(s), {accounts} account(s)\n"));
    match t.management_account() {
        Some(m) => out.push_str(&format!(
            "management account {} ({}): service-managed StackSets never deploy to it; onboard it with a separate single-account run (`rolegate apply` with an identity of that account)\n",
            m.id, m.name
        )),
        None => out.push_str(&format!(
            "management account {}: service-managed StackSets never deploy to it; onboard it with a separate single-account run\n",
            t.management_account_id
        )),
    }
    out
}

fn node(n: &TargetNode, depth: usize, out: &mut String) {
    let pad = "  ".repeat(depth);
    let kind = if n.kind == "root" { "root" } else { "OU" };
    out.push_str(&format!("{pad}{kind} {} {}\n", n.id, n.name));
    for a in &n.accounts {
        out.push_str(&format!("{pad}  account {}\n", account(a)));
    }
    for c in &n.children {
        node(c, depth + 1, out);
    }
}

fn account(a: &TargetAccount) -> String {
    let mut s = format!("{} {}", a.id, a.name);
    if a.status != "ACTIVE" {
        s.push_str(&format!(" [{}]", a.status));
    }
    let mut marks = Vec::new();
    if a.management {
        marks.push("management account: not reached by service-managed StackSets");
    }
    if a.caller {
        marks.push("your account");
    }
    if !marks.is_empty() {
        s.push_str(&format!(" ({})", marks.join("; ")));
    }
    s
}
