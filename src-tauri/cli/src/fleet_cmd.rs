//! `rolegate fleet targets`: the organization's OUs and accounts as the core's
//! `Engine::fleet_targets` reads them, printed as a tree (or `--json`), with the
//! management account named and told apart: service-managed StackSets never reach it.

use clap::Subcommand;
use serde_json::json;

use rolegate_core::fleet::{FleetTargets, TargetAccount, TargetNode};
use rolegate_core::RunError;

use crate::{engine, render, Global};

#[derive(Subcommand)]
pub enum FleetCommand {
    /// The organization's root, OUs (nested) and accounts, read from its management
    /// account or a StackSets delegated administrator.
    Targets,
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
    }
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
