import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const TSX = fileURLToPath(new URL("../../node_modules/.bin/tsx", import.meta.url));
const run = (...args: string[]) => spawnSync(TSX, ["scenarios/main.ts", ...args], { cwd: ROOT, encoding: "utf8", timeout: 30_000 });

describe("npm run scenario -- --list", () => {
  it("to a pipe: no colour codes, at most 120 columns", () => {
    const r = run("--list");
    expect(r.status).toBe(0);
    expect(r.stdout).not.toContain("\u001b[");
    expect(Math.max(...r.stdout.split("\n").map((l) => l.length))).toBeLessThanOrEqual(120);
  });

  it("--json: the catalogue, the --set keys and the profiles, for programs", () => {
    const r = run("--list", "--json");
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout) as { scenarios: { name: string; fault: { kind: string; description: string } }[]; setKeys: { key: string; value: string }[]; profiles: string[] };
    expect(j.scenarios.map((s) => s.name)).toContain("kill-leader");
    expect(j.scenarios.find((s) => s.name === "kill-leader")!.fault).toMatchObject({ kind: "kill-container", description: "SIGKILL the scheduler-leader container" });
    expect(j.setKeys).toContainEqual({ key: "ttl-secs", value: "<podmaster --ttl-secs (int seconds)>" });
    expect(j.profiles).toEqual(["seed", "fast"]);
  });

  it("--json without --list is refused (exit 2)", () => {
    const r = run("--json");
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--json goes with --list/);
  });
});
