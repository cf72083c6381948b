import { render } from "preact";
import { App } from "./App";
import "./style.css";
import { mark, prefetch } from "./marks";
import { applyTheme, cachedTheme } from "./settings";

mark("script");
prefetch();
applyTheme(cachedTheme());

render(<App />, document.getElementById("app")!);
