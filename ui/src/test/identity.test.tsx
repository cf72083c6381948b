// The Identity screen says where the identity's credentials came from, in the core's
// words, before anything is created: the environment's keys when they are what the
// environment choice signs with, and the named profile's own source once it signs in.
import { App } from "../App";
import { backend, button, clearMocks, click, mount } from "./ipc";
import { session } from "./fixtures";

afterEach(() => clearMocks());

test("the signed-in panel shows the identity's source, and the environment choice says what it signs with", async () => {
  const environment = "environment variables AWS_ACCESS_KEY_ID (AKIAENVIRONMENT0001) and AWS_SECRET_ACCESS_KEY; AWS_PROFILE=dev is not used";
  const ipc = backend({
    runs: [],
    ui_ready: null,
    identity_sources: {
      profiles: [{ name: "other", kind: "keys", region: "eu-west-1" }],
      environment,
      sandbox_available: false,
      sandbox_detail: "not installed",
      current: null,
    },
    connect: { ...session, label: "profile other", source: "profile other, keys from the credentials file" },
  });
  const root = await mount(<App />);
  expect(root.textContent).toContain(`The environment — ${environment}`);
  expect(root.querySelector("[data-testid=identity-source]")).toBeNull();
  await click(button(root, "Check this identity"));
  expect(ipc.called("connect")[0].args.choice).toEqual({ kind: "profile", profile: "other", region: null });
  expect(root.querySelector("[data-testid=identity-source]")?.textContent).toBe("profile other, keys from the credentials file");
  expect(root.querySelector("[aria-label='Signed in']")?.textContent).toContain("Identity from profile other, keys from the credentials file");
});
