// The test emulator (moto with IAM access control on) for the end-to-end tests: one
// process per test file, an administrator in a fresh account, and the AWS CLI run
// against it with given files and keys.
import { execFile, spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import { promisify } from "node:util";

const here = path.dirname(new URL(import.meta.url).pathname);
const script = path.resolve(here, "../emulator/rolegate_emulator.py");
const run = promisify(execFile);

/** Start the emulator with an administrator in `account`; resolves with its URL and key. */
export function startEmulator(account) {
  const child = spawn(process.env.ROLEGATE_PYTHON ?? "python3", [script, "--port", "0", "--sandbox-account", account, "--parent-pid", String(process.pid)], {
    stdio: ["ignore", "pipe", "ignore"],
  });
  const lines = readline.createInterface({ input: child.stdout });
  return new Promise((resolve, reject) => {
    let url = null;
    lines.on("line", (line) => {
      if (line.startsWith("ROLEGATE_EMULATOR_READY ")) url = line.split(" ")[1];
      else if (line.startsWith("ROLEGATE_SANDBOX ")) {
        const admin = JSON.parse(line.slice("ROLEGATE_SANDBOX ".length));
        resolve({ url, admin, stop: () => child.kill() });
      }
    });
    child.on("exit", (code) => reject(new Error(`the emulator exited (${code}) before it was ready`)));
  });
}

/** A private home for one test: AWS files, Rolegate's journals, a keychain service. */
export function privateHome(name) {
  const dir = mkdtempSync(path.join(os.tmpdir(), `rolegate-e2e-${name}-`));
  return {
    dir,
    config: path.join(dir, "aws-config"),
    credentials: path.join(dir, "aws-credentials"),
    rolegate: path.join(dir, "rolegate"),
    service: `rolegate-e2e-${name}-${process.pid}`,
  };
}

/** The environment an app under test gets: this home's AWS files, journals, keychain
 * service and app data (settings store, WebKit), and no AWS identity of the machine's. */
export function appEnv(home, extra = {}) {
  return {
    XDG_DATA_HOME: path.join(home.dir, "data"),
    XDG_CONFIG_HOME: path.join(home.dir, "config"),
    XDG_CACHE_HOME: path.join(home.dir, "cache"),
    AWS_CONFIG_FILE: home.config,
    AWS_SHARED_CREDENTIALS_FILE: home.credentials,
    ROLEGATE_HOME: home.rolegate,
    ROLEGATE_KEYCHAIN_SERVICE: home.service,
    AWS_PROFILE: "",
    AWS_ACCESS_KEY_ID: "",
    AWS_SECRET_ACCESS_KEY: "",
    ...extra,
  };
}

/** Write an AWS profile holding the administrator's key. */
export function writeAdminProfile(home, profile, admin) {
  writeFileSync(home.config, `[profile ${profile}]\nregion = eu-west-1\n`, { mode: 0o600 });
  writeFileSync(home.credentials, `[${profile}]\naws_access_key_id = ${admin.access_key_id}\naws_secret_access_key = ${admin.secret_access_key}\n`, { mode: 0o600 });
}

/** Run the AWS CLI against the emulator; resolves with parsed JSON output. */
export async function aws(emu, home, args, extraEnv = {}) {
  const env = {
    ...process.env,
    AWS_CONFIG_FILE: home.config,
    AWS_SHARED_CREDENTIALS_FILE: home.credentials,
    AWS_ENDPOINT_URL: emu.url,
    AWS_DEFAULT_REGION: "eu-west-1",
    AWS_PAGER: "",
    ...extraEnv,
  };
  delete env.AWS_PROFILE;
  if (!extraEnv.AWS_ACCESS_KEY_ID) {
    delete env.AWS_ACCESS_KEY_ID;
    delete env.AWS_SECRET_ACCESS_KEY;
  }
  const { stdout } = await run("aws", [...args, "--output", "json"], { env });
  return JSON.parse(stdout);
}

/** Run the `rolegate` CLI with the test's home, keychain service and emulator. */
export async function cli(emu, home, args) {
  const bin = process.env.ROLEGATE_CLI;
  if (!bin) throw new Error("ROLEGATE_CLI must name the rolegate CLI binary");
  const env = { ...process.env, AWS_CONFIG_FILE: home.config, AWS_SHARED_CREDENTIALS_FILE: home.credentials, ROLEGATE_KEYCHAIN_SERVICE: home.service };
  delete env.AWS_PROFILE;
  delete env.AWS_ACCESS_KEY_ID;
  delete env.AWS_SECRET_ACCESS_KEY;
  const { stdout } = await run(bin, ["--json", "--home", home.rolegate, "--endpoint-url", emu.url, "--profile", "e2e-admin", ...args], { env });
  return JSON.parse(stdout);
}

/** Everything IAM holds in the account, as the administrator sees it (names only). */
export async function inventory(emu, home) {
  const admin = { AWS_ACCESS_KEY_ID: emu.admin.access_key_id, AWS_SECRET_ACCESS_KEY: emu.admin.secret_access_key };
  const users = (await aws(emu, home, ["iam", "list-users"], admin)).Users.map((u) => `user/${u.UserName}`);
  const roles = (await aws(emu, home, ["iam", "list-roles"], admin)).Roles.map((r) => `role/${r.RoleName}`);
  const policies = (await aws(emu, home, ["iam", "list-policies", "--scope", "Local"], admin)).Policies.map((p) => `policy/${p.PolicyName}`);
  return [...users, ...roles, ...policies].sort();
}
