// A mockIPC backend for component tests: canned answers per command, a record of every
// call with its arguments, the settings kept in memory as the Rust side keeps them
// (`settings_get`/`settings_set`; a handler given for one takes its place), and channel
// events. No plugin command is answered: the page is granted none.
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { render } from "preact";
import { act } from "preact/test-utils";
import type { ComponentChild } from "preact";

export type Call = { cmd: string; args: Record<string, unknown> };
type Handler = (args: Record<string, unknown>) => unknown;

export function backend(handlers: Record<string, Handler | unknown>) {
  const calls: Call[] = [];
  const store = new Map<string, unknown>();
  const settings = () => ({ theme: store.get("theme") ?? "system", lastIdentity: store.get("lastIdentity") ?? null, runs: store.get("runs") ?? [] });
  mockIPC((cmd, payload) => {
    const args = (payload ?? {}) as Record<string, unknown>;
    calls.push({ cmd, args });
    if (cmd in handlers) {
      const h = handlers[cmd];
      return typeof h === "function" ? (h as Handler)(args) : h;
    }
    if (cmd === "settings_get") return settings();
    if (cmd === "settings_set") {
      for (const [k, v] of Object.entries(args.change as Record<string, unknown>)) if (v !== undefined) store.set(k, v);
      return settings();
    }
    throw new Error(`unexpected command ${cmd}`);
  });
  return { calls, store, called: (cmd: string) => calls.filter((c) => c.cmd === cmd) };
}

/** Send events to the Channel a command was given (`onEvent`). */
export function emit(args: Record<string, unknown>, ...events: unknown[]) {
  const ch = args.onEvent as { onmessage: (e: unknown) => void };
  for (const e of events) ch.onmessage(e);
}

export async function settle(times = 3) {
  for (let i = 0; i < times; i++) {
    await act(async () => {
      await new Promise((r) => setTimeout(r, 0));
    });
  }
}

export async function mount(node: ComponentChild) {
  const root = document.createElement("div");
  document.body.replaceChildren(root);
  await act(async () => {
    render(node, root);
  });
  await settle();
  return root;
}

export async function typeInto(el: Element | null, value: string) {
  if (!el) throw new Error("no such input");
  await act(async () => {
    (el as HTMLInputElement).value = value;
    el.dispatchEvent(new Event("input", { bubbles: true }));
  });
}

export async function click(el: Element | null | undefined) {
  if (!el) throw new Error("nothing to click");
  await act(async () => {
    (el as HTMLElement).click();
  });
  await settle();
}

export function button(root: Element, text: string): HTMLButtonElement {
  const b = [...root.querySelectorAll("button")].find((x) => x.textContent?.trim().startsWith(text));
  if (!b) throw new Error(`no button “${text}”; buttons: ${[...root.querySelectorAll("button")].map((x) => x.textContent).join(" | ")}`);
  return b;
}

export { clearMocks };
