// Settings and the app's run index, kept by tauri-plugin-store in settings.json (in the
// app's data folder). No secret is ever put here: the identity is remembered by kind
// and profile name only. The journal (shared with the CLI) stays the truth about runs;
// the index only remembers which runs the app started and under which identity.
import { load, type Store } from "@tauri-apps/plugin-store";

export type Theme = "system" | "light" | "dark";

export type RememberedIdentity = { kind: "profile"; profile: string } | { kind: "environment" } | { kind: "sandbox" };

export type IndexedRun = { runId: string; template: string; identity: string; startedAt: string };

export type Settings = {
  theme: Theme;
  lastIdentity: RememberedIdentity | null;
  runs: IndexedRun[];
};

const DEFAULTS: Settings = { theme: "system", lastIdentity: null, runs: [] };

let store: Promise<Store> | null = null;

function open(): Promise<Store> {
  store ??= load("settings.json", { autoSave: false, defaults: {} });
  return store;
}

export async function readSettings(): Promise<Settings> {
  // One round trip for all keys (the first screen waits for the remembered identity).
  const entries = new Map(await (await open()).entries<unknown>());
  const theme = entries.get("theme");
  return {
    theme: theme === "light" || theme === "dark" || theme === "system" ? theme : DEFAULTS.theme,
    lastIdentity: (entries.get("lastIdentity") as RememberedIdentity | undefined) ?? null,
    runs: (entries.get("runs") as IndexedRun[] | undefined) ?? [],
  };
}

export async function writeSetting<K extends keyof Settings>(key: K, value: Settings[K]): Promise<void> {
  const s = await open();
  await s.set(key, value);
  await s.save();
}

export async function indexRun(run: IndexedRun): Promise<void> {
  const current = (await readSettings()).runs.filter((r) => r.runId !== run.runId);
  await writeSetting("runs", [run, ...current].slice(0, 200));
}

const THEME_CACHE = "rolegate.theme";

/** The last theme chosen, from the page's own storage, so the first frame has it. */
export function cachedTheme(): Theme {
  const t = window.localStorage?.getItem(THEME_CACHE);
  return t === "light" || t === "dark" ? t : "system";
}

const systemDark = () => window.matchMedia?.("(prefers-color-scheme: dark)");
let following: MediaQueryList | null = null;
const followSystem = () => {
  document.documentElement.dataset.theme = following?.matches ? "dark" : "light";
};

/** Put the theme on the page; "system" follows the OS preference as it changes. */
export function applyTheme(theme: Theme) {
  window.localStorage?.setItem(THEME_CACHE, theme);
  following?.removeEventListener("change", followSystem);
  following = null;
  if (theme === "system") {
    following = systemDark() ?? null;
    following?.addEventListener("change", followSystem);
    followSystem();
  } else {
    document.documentElement.dataset.theme = theme;
  }
}
