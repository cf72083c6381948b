// Settings: theme and the last identity (by kind and profile name only, never a secret),
// kept by the Rust side in one file at a fixed place in the app's data folder. The page
// reads them all in one call and sends typed changes; it never names a file. The index
// of the runs the app started is written by Rust when a run starts.
import { invoke } from "@tauri-apps/api/core";
import type { IndexedRun } from "./bindings/IndexedRun";
import type { RememberedIdentity } from "./bindings/RememberedIdentity";
import type { Settings } from "./bindings/Settings";
import type { SettingsUpdate } from "./bindings/SettingsUpdate";
import type { Theme } from "./bindings/Theme";

export type { IndexedRun, RememberedIdentity, Settings, SettingsUpdate, Theme };

/** Every setting in one round trip (the first screen waits for the remembered identity). */
export function readSettings(): Promise<Settings> {
  return invoke<Settings>("settings_get");
}

/** Change some settings; resolves with the settings now in force. */
export function writeSettings(change: SettingsUpdate): Promise<Settings> {
  return invoke<Settings>("settings_set", { change });
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
