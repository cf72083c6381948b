// useCommand against a mockIPC backend: busy while a command runs, its answer or its
// error as the screens show it, only the latest call counting, and the options that
// keep an answer shown or wait before calling.
import { act } from "preact/test-utils";
import { api, type RunDetail } from "../api";
import { useCommand, type Command, type Options } from "../useCommand";
import { backend, clearMocks, mount, settle } from "./ipc";
import { detail } from "./fixtures";

afterEach(() => clearMocks());

type Detail = Command<[string], RunDetail>;

async function harness(options: Options = {}) {
  const seen: { cmd: Detail | null; renders: number } = { cmd: null, renders: 0 };
  function Probe() {
    seen.cmd = useCommand(api.runDetail, options);
    seen.renders++;
    return <p>{seen.cmd.busy ? "busy" : (seen.cmd.error?.code ?? seen.cmd.result?.summary.run_id ?? "idle")}</p>;
  }
  const root = await mount(<Probe />);
  return { root, cmd: () => seen.cmd!, seen };
}

/** A backend whose run_detail answers only when the test says, per call. */
function deferred() {
  const pending: { runId: string; answer: (v: unknown) => void; refuse: (e: unknown) => void }[] = [];
  const ipc = backend({
    run_detail: (a: Record<string, unknown>) => new Promise((answer, refuse) => pending.push({ runId: a.runId as string, answer, refuse })),
  });
  return { ipc, pending };
}

/** Start a call inside act (so its first render is in) and hand back its answer, unawaited. */
const call = async <T,>(f: () => Promise<T>): Promise<{ answer: Promise<T> }> => {
  let answer!: Promise<T>;
  await act(async () => {
    answer = f();
  });
  return { answer };
};

test("busy while the command runs, then its result; the arguments reach the command", async () => {
  const { ipc, pending } = deferred();
  const h = await harness();
  expect(h.cmd()).toMatchObject({ busy: false, called: false, result: null, error: null });
  const { answer } = await call(() => h.cmd().run("rg-000000000001"));
  expect(h.root.textContent).toBe("busy");
  expect(h.cmd().called).toBe(true);
  expect(ipc.called("run_detail")[0].args).toEqual({ runId: "rg-000000000001" });
  pending[0].answer(detail());
  await settle();
  expect(await answer).toEqual({ ok: true, value: detail() });
  expect(h.cmd()).toMatchObject({ busy: false, error: null, result: detail() });
  expect(h.root.textContent).toBe("rg-000000000001");
});

test("a refusal becomes the error the screens show, filled in where the command left things out", async () => {
  const { pending } = deferred();
  const h = await harness();
  const { answer } = await call(() => h.cmd().run("rg-1"));
  await settle();
  pending[0].refuse({ code: "no-credentials", message: "the SSO session has expired" });
  await settle();
  const error = { code: "no-credentials", message: "the SSO session has expired", hint: null, fields: [] };
  expect(await answer).toEqual({ ok: false, error });
  expect(h.cmd()).toMatchObject({ busy: false, error, result: null });
  // Something that is not a command's error (a bug, a refused IPC) is still shown, as internal.
  const { answer: again } = await call(() => h.cmd().run("rg-1"));
  await settle();
  pending[1].refuse("IPC refused");
  await settle();
  expect(await again).toEqual({ ok: false, error: { code: "internal", message: "IPC refused", hint: null, fields: [] } });
});

test("only the latest call's answer counts; an earlier one answering late is dropped", async () => {
  const { pending } = deferred();
  const h = await harness();
  const { answer: first } = await call(() => h.cmd().run("rg-first"));
  const { answer: second } = await call(() => h.cmd().run("rg-second"));
  await settle();
  pending[1].answer(detail({ summary: { ...detail().summary, run_id: "rg-second" } }));
  await settle();
  pending[0].answer(detail({ summary: { ...detail().summary, run_id: "rg-first" } }));
  await settle();
  expect(await first).toEqual({ ok: false, error: null });
  expect((await second).ok).toBe(true);
  expect(h.cmd().result?.summary.run_id).toBe("rg-second");
});

test("without keep a new call forgets the last answer; with keep it stays until the next arrives, and after an error", async () => {
  for (const keep of [false, true]) {
    const { pending } = deferred();
    const h = await harness({ keep });
    await call(() => h.cmd().run("rg-1"));
    await settle();
    pending[0].answer(detail());
    await settle();
    await call(() => h.cmd().run("rg-1"));
    await settle();
    expect(h.cmd().busy).toBe(true);
    expect(h.cmd().result).toEqual(keep ? detail() : null);
    pending[1].refuse({ code: "aws-error", message: "throttled", hint: null, fields: [] });
    await settle();
    expect(h.cmd().error?.code).toBe("aws-error");
    expect(h.cmd().result).toEqual(keep ? detail() : null);
    // With keep, the error too stays shown while the next call runs.
    await call(() => h.cmd().run("rg-1"));
    await settle();
    expect(h.cmd().error?.code).toBe(keep ? "aws-error" : undefined);
    clearMocks();
  }
});

test("delayMs waits before calling, and a call within the wait replaces the waiting one", async () => {
  const { ipc, pending } = deferred();
  const h = await harness({ delayMs: 50, keep: true });
  const { answer: first } = await call(() => h.cmd().run("rg-first"));
  const { answer: second } = await call(() => h.cmd().run("rg-second"));
  expect(h.cmd().busy).toBe(true);
  expect(await first).toEqual({ ok: false, error: null });
  expect(ipc.called("run_detail")).toHaveLength(0);
  await new Promise((r) => setTimeout(r, 80));
  await settle();
  expect(ipc.called("run_detail").map((c) => c.args.runId)).toEqual(["rg-second"]);
  pending[0].answer(detail());
  await settle();
  expect((await second).ok).toBe(true);
  expect(h.cmd().busy).toBe(false);
});

test("fail shows an error found without calling and drops the call in flight; reset goes back to idle", async () => {
  const { ipc, pending } = deferred();
  const h = await harness();
  const { answer: inFlight } = await call(() => h.cmd().run("rg-1"));
  await settle();
  const local = { code: "invalid-input", message: "some fields need fixing", hint: null, fields: [{ field: "tags[1]", rule: "syntax", message: "line 2 must be written KEY=VALUE" }] };
  await act(async () => h.cmd().fail(local));
  expect(h.cmd()).toMatchObject({ busy: false, error: local });
  pending[0].answer(detail());
  await settle();
  expect(await inFlight).toEqual({ ok: false, error: null });
  expect(h.cmd().error).toEqual(local);
  expect(h.cmd().result).toBeNull();
  // A waiting call is dropped by reset and never made.
  const waiting = await harness({ delayMs: 30 });
  const { answer: dropped } = await call(() => waiting.cmd().run("rg-2"));
  await act(async () => waiting.cmd().reset());
  expect(await dropped).toEqual({ ok: false, error: null });
  await new Promise((r) => setTimeout(r, 50));
  expect(ipc.called("run_detail")).toHaveLength(1);
  expect(waiting.cmd()).toMatchObject({ busy: false, called: false, error: null, result: null });
});
