// Start-up: the first screen's data is asked for as soon as the script runs, and the
// ready signal (for the start-up benchmark) goes out once the identity choices are in
// the page, with the page's own timings (ms since navigation start).
import { api, type IdentitySources, type RunSummary } from "./api";

export const marks: [string, number][] = [];

export function mark(name: string) {
  marks.push([name, Math.round(performance.now())]);
}

let sources: Promise<IdentitySources> | null = null;
let runs: Promise<RunSummary[]> | null = null;

/** Ask for the start screen's data early; each answer is used once, later calls ask again. */
export function prefetch() {
  sources = api.identitySources();
  runs = api.runs();
  // Unused prefetches must not surface as unhandled rejections; users ask again.
  sources.catch(() => undefined);
  runs.catch(() => undefined);
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

let signalled = false;

/** The first screen is interactive (its choices are in the DOM with their handlers):
 * say so once. Not after the next animation frame: under Xvfb frames are throttled and
 * that would measure the X server, not the app. */
export function signalReady() {
  if (signalled) return;
  signalled = true;
  mark("ready");
  document.body.dataset.ready = "true";
  // Only a start-up measurement listens; a refusal changes nothing for the person.
  api.uiReady(marks).catch(() => undefined);
}
