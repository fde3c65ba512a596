import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../paths.js";

// `npm run setup` is setup.sh (step 1, npm dependencies) then main.ts. An `npm` that fails first
// on PATH: were step 1 to run here, it could not install anything.
const stubs = mkdtempSync(path.join(os.tmpdir(), "k8sm-setup-cli-"));
writeFileSync(path.join(stubs, "npm"), "#!/bin/sh\necho 'npm must not run here' >&2\nexit 1\n");
chmodSync(path.join(stubs, "npm"), 0o755);
afterAll(() => rmSync(stubs, { recursive: true, force: true }));

const setupSh = (...args: string[]) =>
  spawnSync("bash", ["harness/setup/setup.sh", ...args], { cwd: PROJECT_ROOT, encoding: "utf8", env: { ...process.env, PATH: `${stubs}:${process.env.PATH}` }, timeout: 30_000 });

describe("npm run setup: --help and --version do no work", () => {
  it("--help prints the usage before step 1", () => {
    const r = setupSh("--force", "--help");
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^usage: npm run setup /);
    expect(r.stdout).toMatch(/--base-from=WHERE/);
    expect(`${r.stdout}${r.stderr}`).not.toMatch(/\[\d\/6\]/);
  });

  it("--version prints the version and commit before step 1", () => {
    const r = setupSh("--version");
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^setup: k8sm-ha-chaos \S+, commit \S+\n$/);
    expect(r.stderr).toBe("");
  });
});
