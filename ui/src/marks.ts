// Start-up: the first screen's data (identity choices, runs, settings) is asked for as
// soon as the script runs, and screens take it in layout effects, not in effects: an
// effect waits for the next animation frame (or Preact's 100 ms fallback where frames
// are throttled, as under Xvfb). The ready signal (for the start-up benchmark) goes out
// once the identity choices are in the page, with the page's own timings.
import { api, type IdentitySources, type RunSummary } from "./api";
import { readSettings, type Settings } from "./settings";

/** `origin` is the navigation start in ms since the Unix epoch, so the benchmark can put
 * the page's marks on one time line with the program's. */
export const marks: [string, number][] = [["origin", performance.timeOrigin]];

export function mark(name: string) {
  marks.push([name, Math.round(performance.now() * 10) / 10]);
}

let sources: Promise<IdentitySources> | null = null;
let runs: Promise<RunSummary[]> | null = null;
let settings: Promise<Settings> | null = null;

/** Ask for the start screen's data early; each answer is used once, later calls ask
 * again. Settles (never rejects) once the identity choices and the settings are in. */
export function prefetch(): Promise<unknown> {
  sources = api.identitySources();
  runs = api.runs();
  settings = readSettings();
  // Unused prefetches must not surface as unhandled rejections; users ask again.
  for (const p of [sources, runs, settings]) p.catch(() => undefined);
  return Promise.allSettled([sources, settings]);
}

export function identitySources(): Promise<IdentitySources> {
  const p = (sources ?? api.identitySources()).then((s) => {
    mark("sources");
    return s;
  });
  sources = null;
  return p;
}

export function startRuns(): Promise<RunSummary[]> {
  const p = runs ?? api.runs();
  runs = null;
  return p;
}

export function startSettings(): Promise<Settings> {
  const p = settings ?? readSettings();
  settings = null;
  return p;
}

/** The first screen is interactive (its choices are in the DOM with their handlers, and
 * laid out: the layout is forced here so its cost is inside the measurement): say so
 * once. Not after the next animation frame: under Xvfb frames are throttled and that
 * would measure the X server, not the app. The bare window's page does the same. */
export function signalReady() {
  if (document.body.dataset.ready) return;
  void document.body.offsetHeight;
  mark("ready");
  document.body.dataset.ready = "true";
  // Only a start-up measurement listens; a refusal changes nothing for the person.
  api.uiReady(marks).catch(() => undefined);
}
