import type Docker from "dockerode";
import { describe, expect, it } from "vitest";
import { collectRunMeta, shellJoin } from "./meta.js";

/** A client whose engine answers `version()` as given, or never. */
function fakeDocker(version: (() => Promise<unknown>) | "never"): Docker {
  return {
    modem: { socketPath: "/run/test.sock" },
    version: (opts: { abortSignal?: AbortSignal }) =>
      version === "never"
        ? new Promise((_, reject) => opts.abortSignal?.addEventListener("abort", () => reject(opts.abortSignal!.reason)))
        : version(),
  } as unknown as Docker;
}

describe("collectRunMeta", () => {
  it("records the harness, Node, the engine and the invocation", async () => {
    const meta = await collectRunMeta({
      docker: fakeDocker(async () => ({ Version: "27.5.1", ApiVersion: "1.47" })),
      argv: ["kill-leader", "--seed", "42"],
      command: "npm run scenario -- kill-leader --seed 42",
      rerun: "npm run scenario -- kill-leader --seed 42 --repeat 1",
    });
    expect(meta.harness.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(meta.harness.commit).toMatch(/^([0-9a-f]{12}(-dirty)?|unknown)$/);
    expect(meta.environment).toEqual({ node: process.version, platform: `${process.platform}/${process.arch}`, docker: { version: "27.5.1", apiVersion: "1.47", endpoint: "unix:///run/test.sock" } });
    expect(meta.invocation).toEqual({ argv: ["kill-leader", "--seed", "42"], command: "npm run scenario -- kill-leader --seed 42", rerun: "npm run scenario -- kill-leader --seed 42 --repeat 1" });
  });

  it("never throws: an engine that fails or never answers is null, no argv is no invocation", async () => {
    const failing = await collectRunMeta({ docker: fakeDocker(() => Promise.reject(new Error("connect ECONNREFUSED"))) });
    expect(failing.environment.docker).toBeNull();
    expect(failing.invocation).toBeNull();
    const silent = await collectRunMeta({ docker: fakeDocker("never"), dockerTimeoutMs: 50 });
    expect(silent.environment.docker).toBeNull();
    expect((await collectRunMeta()).environment.docker).toBeNull();
  });

  it("without a command line given, builds one from argv (rerun defaults to it)", async () => {
    const { invocation } = await collectRunMeta({ argv: ["kill-leader", "--set", "ttl-secs=6 x"] });
    expect(invocation!.command).toMatch(/kill-leader --set 'ttl-secs=6 x'$/);
    expect(invocation!.rerun).toBe(invocation!.command);
  });
});

describe("shellJoin", () => {
  it("quotes only what a shell would split or expand", () => {
    expect(shellJoin(["npm", "run", "scenario", "--", "--set", "ttl-secs=6", "a b", "it's", "", "$HOME"])).toBe(`npm run scenario -- --set ttl-secs=6 'a b' 'it'\\''s' '' '$HOME'`);
  });
});
