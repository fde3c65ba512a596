import { spawnSync } from "node:child_process";
import { mkdtempSync, chmodSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseScenarioArgs } from "../harness/index.js";
import { scenarios } from "./index.js";

const parse = (argv: string[]) => parseScenarioArgs(argv, scenarios, () => {});

describe("npm run scenario: input validation, before any container", () => {
  it("accepts a valid command line and resolves the spec with the scenario's and the user's overrides", async () => {
    const input = await parse(["hot-standby-kill-leader", "--profile", "fast", "--set", "ttl-secs=8", "--repeat", "3", "--seed", "7", "--out", os.tmpdir()]);
    expect(input).toMatchObject({ repeat: 3, seed: 7, profile: "fast" });
    expect(input!.spec.mode).toBe("hot-standby");
    expect(input!.spec.podmaster.ttlSecs).toBe(8);
  });

  it.each([
    [["nope"], /unknown scenario "nope"/, /kill-leader/],
    [[], /no scenario given/, /valid scenarios/],
    [["kill-leader", "--set", "bogus=1"], /bogus/, undefined],
    [["kill-leader", "--set", "ttl-secs=0"], /ttl/, undefined],
    [["kill-leader", "--set", "ttl-secs=abc"], /ttl/, undefined],
    [["kill-leader", "--repeat", "0"], /--repeat must be between 1 and 1000/, undefined],
    [["kill-leader", "--repeat", "1e9"], /--repeat must be an integer/, undefined],
    [["kill-leader", "--repeat=-3"], /--repeat must be between/, undefined],
    [["kill-leader", "--profile", "slow"], /unknown profile "slow"/, /seed, fast/],
    [["kill-leader", "--frobnicate"], /unknown option --frobnicate/, undefined],
    [["kill-leader", "--repat", "3"], /unknown option --repat; did you mean --repeat\?/, /usage: npm run scenario/],
    [["kill-leadr"], /unknown scenario "kill-leadr"; did you mean "kill-leader"\?/, /valid scenarios/],
    [["kill-leader", "pause-leader"], /unexpected argument "pause-leader"/, undefined],
  ])("rejects %j", async (argv, message, hint) => {
    const err = await parse(argv as string[]).then(() => null, (e: unknown) => e as { code: string; message: string; hint?: string });
    expect(err?.code).toBe("E_INPUT");
    expect(err?.message).toMatch(message);
    if (hint) expect(err?.hint).toMatch(hint);
  });

  it("rejects an --out that is not writable", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "k8sm-ro-"));
    const file = path.join(dir, "a-file");
    spawnSync("touch", [file]);
    try {
      await expect(parse(["kill-leader", "--out", path.join(file, "sub")])).rejects.toMatchObject({ code: "E_INPUT", message: expect.stringMatching(/not a writable directory/) });
      if (process.getuid?.() !== 0) {
        chmodSync(dir, 0o500);
        await expect(parse(["kill-leader", "--out", dir])).rejects.toMatchObject({ code: "E_INPUT" });
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("the CLI exits 2 with the valid names on an unknown scenario, and 0 on --list", () => {
    const tsx = path.resolve("node_modules/.bin/tsx");
    const bad = spawnSync(tsx, ["scenarios/main.ts", "nope"], { encoding: "utf8", timeout: 30_000 });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/unknown scenario "nope"[\s\S]*kill-leader/);
    const list = spawnSync(tsx, ["scenarios/main.ts", "--list"], { encoding: "utf8", timeout: 30_000 });
    expect(list.status).toBe(0);
    expect(list.stdout).toMatch(/incompatible-executor/);
    expect(list.stdout).toMatch(/ttl-secs/);
  });
});
