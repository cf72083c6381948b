// Rolegate's own rules for its GitHub Actions workflows, beyond what actionlint checks:
// every action pinned by commit (the version in a trailing comment), read-only
// permissions at the top with `contents: write` only in a job that publishes, and npm
// installs that keep to the committed lock. `policyFindings(text, file)` returns one
// finding per broken rule, as { file, line, message }.

const PUBLISHES = /\bgh release\b|action-gh-release|tauri-apps\/tauri-action/;

export function policyFindings(text, file) {
  const lines = text.split(/\r?\n/);
  const out = [];
  const find = (i, message) => out.push({ file, line: i + 1, message });

  lines.forEach((l, i) => {
    const m = l.match(/^\s*-?\s*uses:\s*([^\s#]+)\s*(#\s*(\S.*))?$/);
    if (m && !m[1].startsWith("./") && !m[1].startsWith("docker://")) {
      if (!/@[0-9a-f]{40}$/.test(m[1])) find(i, `${m[1]} is not pinned by a full commit SHA`);
      else if (!m[3]) find(i, `${m[1]}: name the version the SHA is in a trailing comment`);
    }
    const npm = !/^\s*#/.test(l) && l.match(/\bnpm\s+(install|i|ci)\b(.*)$/);
    if (npm && !(npm[1] === "ci" || /--no-save\b/.test(npm[2]))) {
      find(i, "npm install here may rewrite the lock: use `npm ci`, or `npm install --no-save` with the reason");
    }
  });

  // Top-level permissions: a block at column 0 that grants contents: read.
  const top = lines.findIndex((l) => /^permissions:/.test(l));
  if (top < 0) find(0, "no top-level `permissions:`; set `contents: read`");
  else {
    const block = [];
    for (let i = top + 1; i < lines.length && /^\s+\S|^\s*$/.test(lines[i]); i++) block.push(lines[i].trim());
    if (!block.includes("contents: read") || block.some((b) => /:\s*write\b/.test(b))) {
      find(top, "top-level permissions must be read-only (`contents: read`)");
    }
  }

  // Jobs: two-space keys under `jobs:`; a job that may write contents must publish.
  const jobsAt = lines.findIndex((l) => /^jobs:/.test(l));
  if (jobsAt >= 0) {
    const jobs = [];
    for (let i = jobsAt + 1; i < lines.length; i++) {
      if (/^\S/.test(lines[i])) break;
      const j = lines[i].match(/^ {2}([A-Za-z0-9_-]+):\s*$/);
      if (j) jobs.push({ name: j[1], start: i, end: lines.length });
      if (jobs.length > 1) jobs[jobs.length - 2].end = jobs[jobs.length - 1].start;
    }
    for (const job of jobs) {
      const body = lines.slice(job.start, job.end);
      const w = body.findIndex((l) => /^\s+contents:\s*write\b/.test(l) || /^\s+permissions:\s*write-all\b/.test(l));
      if (w >= 0 && !body.some((l) => PUBLISHES.test(l))) {
        find(job.start + w, `job ${job.name} may write the repository's contents but publishes nothing`);
      }
    }
  }
  return out;
}
