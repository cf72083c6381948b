// The organization's tree on the Fleet screen: the root, OUs nested, the accounts in
// each, with the management account marked (service-managed StackSets never reach it:
// it is onboarded with a single run) and the caller's account. The person ticks OUs
// (service-managed) or accounts (self-managed), as the kind of targets says.
import type { FleetTargets } from "../api";
import type { TargetAccount } from "../bindings/TargetAccount";
import type { TargetNode } from "../bindings/TargetNode";

export type TargetKind = "ous" | "accounts";

type Props = {
  tree: FleetTargets;
  kind: TargetKind;
  picked: string[];
  onToggle: (id: string) => void;
  /** Go and onboard the management account with a single run. */
  onSingleRun: () => void;
};

function Account({ a, p }: { a: TargetAccount; p: Props }) {
  const label = `${a.name} ${a.id}`;
  return (
    <li data-account={a.id} data-management={a.management || undefined}>
      {p.kind === "accounts" ? (
        <label>
          <input type="checkbox" checked={p.picked.includes(a.id)} onChange={() => p.onToggle(a.id)} aria-label={`Account ${label}`} /> {label}
        </label>
      ) : (
        <span>{label}</span>
      )}
      {a.status !== "ACTIVE" && <span class="badge"> {a.status}</span>}
      {a.caller && <span class="badge"> identity in use</span>}
      {a.management && (
        <div class="notice warn" role="note" data-testid="management-account">
          Management account: service-managed StackSets never deploy to it.{" "}
          <button type="button" onClick={p.onSingleRun}>
            Onboard it with a single run
          </button>
        </div>
      )}
    </li>
  );
}

function Node({ n, p }: { n: TargetNode; p: Props }) {
  // AWS names every root "Root".
  const label = n.kind === "root" ? `Root ${n.id}` : `OU ${n.name} ${n.id}`;
  return (
    <li data-ou={n.id}>
      {p.kind === "ous" ? (
        <label>
          <input type="checkbox" checked={p.picked.includes(n.id)} onChange={() => p.onToggle(n.id)} aria-label={label} /> <strong>{label}</strong>
        </label>
      ) : (
        <strong>{label}</strong>
      )}
      <ul>
        {n.accounts.map((a) => (
          <Account key={a.id} a={a} p={p} />
        ))}
        {n.children.map((c) => (
          <Node key={c.id} n={c} p={p} />
        ))}
      </ul>
    </li>
  );
}

export function TargetTree(p: Props) {
  const t = p.tree;
  return (
    <div>
      <p class="muted">
        Organization {t.organization_id}, management account {t.management_account_id}; read as {t.caller_is_management ? "the management account" : "a delegated administrator"} (account{" "}
        {t.caller_account_id}). {p.kind === "ous" ? "An OU includes every OU nested in it." : ""}
      </p>
      <ul class="tree" aria-label="Organization">
        <Node n={t.root} p={p} />
      </ul>
    </div>
  );
}
