import { render } from "preact";
import { App } from "./App";
import "./style.css";
import { mark, prefetch } from "./marks";
import { applyTheme, cachedTheme } from "./settings";

mark("script");
const firstScreenData = prefetch();
applyTheme(cachedTheme());

// The first render waits (150 ms at most) for the start screen's data, so the page is
// laid out once, with its choices, instead of once empty and again when they arrive.
const atMost = new Promise((resolve) => setTimeout(resolve, 150));
void Promise.race([firstScreenData, atMost]).then(() => render(<App />, document.getElementById("app")!));
