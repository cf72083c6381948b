// The UI bundle: Preact through esbuild's automatic JSX runtime (no plugin needed).
import { defineConfig } from "vite";

export default defineConfig({
  esbuild: { jsx: "automatic", jsxImportSource: "preact" },
  build: { outDir: "dist", target: "es2022", emptyOutDir: true },
  test: { environment: "jsdom", globals: true },
});
