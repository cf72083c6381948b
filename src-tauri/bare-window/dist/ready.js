// Laid out (as Rolegate's page is before it signals), then ready: the navigation start
// (ms since the Unix epoch) and the time of the signal (ms after it).
void document.body.offsetHeight;
window.__TAURI_INTERNALS__.invoke("ready", { origin: performance.timeOrigin, ready: performance.now() });
