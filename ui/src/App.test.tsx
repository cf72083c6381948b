import { render } from "preact";
import { act } from "preact/test-utils";
import { mockIPC, clearMocks } from "@tauri-apps/api/mocks";
import { App } from "./App";

afterEach(() => clearMocks());

async function mount() {
  const root = document.createElement("div");
  document.body.replaceChildren(root);
  await act(async () => {
    render(<App />, root);
  });
  await act(async () => {
    await new Promise((r) => setTimeout(r, 0));
  });
  return root;
}

test("lists the templates the backend returns", async () => {
  mockIPC((cmd) => {
    if (cmd === "templates") {
      return [{ id: "seqera-batch-launch", name: "Seqera Batch launch", description: "d", mode: "key+role" }];
    }
    throw new Error(`unexpected command ${cmd}`);
  });
  const root = await mount();
  expect(root.querySelector("[aria-label=Templates]")?.textContent).toContain("Seqera Batch launch");
  expect(root.textContent).toContain("Mode: key+role");
});

test("shows a command error with its code", async () => {
  mockIPC(() => {
    throw { code: "journal", message: "cannot read" };
  });
  const root = await mount();
  expect(root.querySelector("[role=alert]")?.textContent).toBe("journal: cannot read");
});
