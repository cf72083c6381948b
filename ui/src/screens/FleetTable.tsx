// The Fleet screen's per-account table (filled in live from the core's events, then
// from its report) and the list of this home's fleets, to reopen one.
import type { FleetSummary } from "../api";
import type { FleetLive } from "../fleetRows";

export function AccountTable({ live }: { live: FleetLive }) {
  // The operation's result per account is shown while one runs; the report has none.
  const op = live.rows.some((r) => r.operation !== "");
  return (
    <>
      {live.operation && (
        <p role="status" data-testid="fleet-operation">
          Operation {live.operation.id}: <strong>{live.operation.status}</strong> {live.operation.reason}
        </p>
      )}
      {live.rows.length === 0 ? (
        <p class="muted">No account has a result yet.</p>
      ) : (
        <table aria-label="Accounts" aria-live="polite">
          <thead>
            <tr>
              <th scope="col">Account</th>
              <th scope="col">Region</th>
              {op && <th scope="col">Operation</th>}
              <th scope="col">Instance status</th>
              <th scope="col">Verdict</th>
              <th scope="col">Reason</th>
              <th scope="col">Fix</th>
            </tr>
          </thead>
          <tbody>
            {live.rows.map((r) => (
              <tr key={`${r.account}-${r.region}`} data-account={r.account} data-verdict={r.verdict}>
                <td>{r.account}</td>
                <td>{r.region}</td>
                {op && <td data-col="operation">{r.operation}</td>}
                <td>{r.instance_status}</td>
                <td>
                  <span class="badge" data-status={r.verdict}>
                    {r.verdict}
                  </span>
                </td>
                <td>{r.reason}</td>
                <td>{r.fix && <pre>{r.fix}</pre>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

export function FleetList({ fleets, open, onOpen }: { fleets: FleetSummary[]; open: string | null; onOpen: (fleetId: string) => void }) {
  if (fleets.length === 0) return <p class="muted">No fleets yet.</p>;
  return (
    <table aria-label="Fleets">
      <thead>
        <tr>
          <th scope="col">Fleet</th>
          <th scope="col">Status</th>
          <th scope="col">Template</th>
          <th scope="col">StackSet</th>
          <th scope="col">Succeeded</th>
          <th scope="col">Created</th>
        </tr>
      </thead>
      <tbody>
        {fleets.map((f) => (
          <tr key={f.fleet_id} data-fleet={f.fleet_id}>
            <td>
              <button type="button" aria-pressed={open === f.fleet_id} onClick={() => onOpen(f.fleet_id)}>
                {f.fleet_id}
              </button>
            </td>
            <td>
              <span class="badge" data-status={f.status}>
                {f.status}
              </span>
            </td>
            <td>{f.template_id}</td>
            <td>{f.stack_set_name}</td>
            <td>
              {f.succeeded} of {f.reached}
            </td>
            <td>{f.created_at.replace("T", " ").slice(0, 19)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
