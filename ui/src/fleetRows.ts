// The Fleet screen's per-account table as it fills in: rows made and updated from the
// core's FleetProgress and FleetVerdict events while an operation runs, then replaced by
// the core's report when the command answers. Translation only: every status, verdict,
// reason and fix is the core's (or CloudFormation's) word.
import type { Event } from "./api";
import type { FleetReport } from "./bindings/FleetReport";

export type FleetRow = {
  account: string;
  region: string;
  /** The running operation's result for this account (RUNNING, SUCCEEDED, ...), "" when none. */
  operation: string;
  instance_status: string;
  verdict: string;
  reason: string;
  fix: string | null;
};

/** What the screen shows of the fleet in hand while a command runs. */
export type FleetLive = {
  fleetId: string | null;
  /** The operation itself: its id and status, from the event with no account. */
  operation: { id: string; status: string; reason: string } | null;
  rows: FleetRow[];
};

export const noFleet: FleetLive = { fleetId: null, operation: null, rows: [] };

const blank = (account: string, region: string): FleetRow => ({ account, region, operation: "", instance_status: "", verdict: "pending", reason: "", fix: null });

/** The table after one event; events of another fleet, or of no fleet, change nothing. */
export function onFleetEvent(live: FleetLive, e: Event): FleetLive {
  if (e.type !== "fleet-progress" && e.type !== "fleet-verdict") return live;
  if (live.fleetId !== null && e.fleet_id !== live.fleetId) return live;
  const fleetId = e.fleet_id;
  if (e.type === "fleet-progress") {
    if (e.account === "") return { ...live, fleetId, operation: { id: e.operation_id, status: e.status, reason: e.reason } };
    const at = live.rows.findIndex((r) => r.account === e.account && r.region === e.region);
    const row = { ...(at >= 0 ? live.rows[at] : blank(e.account, e.region)), operation: e.status, reason: e.reason };
    const rows = at >= 0 ? live.rows.map((r, i) => (i === at ? row : r)) : [...live.rows, row];
    return { ...live, fleetId, rows };
  }
  const mine = live.rows.some((r) => r.account === e.account);
  const rows = mine
    ? live.rows.map((r) => (r.account === e.account ? { ...r, verdict: e.verdict, reason: e.reason } : r))
    : [...live.rows, { ...blank(e.account, ""), verdict: e.verdict, reason: e.reason }];
  return { ...live, fleetId, rows };
}

/** The table as the core reports it (the live rows are dropped: the report is read after them). */
export function fromReport(r: FleetReport, operation: FleetLive["operation"] = null): FleetLive {
  return {
    fleetId: r.fleet_id,
    operation,
    rows: r.accounts.map((a) => ({
      account: a.account,
      region: a.region,
      operation: "",
      instance_status: a.detailed_status && a.detailed_status !== a.instance_status ? `${a.instance_status} (${a.detailed_status})` : a.instance_status,
      verdict: a.verdict,
      reason: a.reason,
      fix: a.fix ?? null,
    })),
  };
}
