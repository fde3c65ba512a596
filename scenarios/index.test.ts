import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { scenarios } from "./index.js";

describe("scenario catalogue", () => {
  it("has unique kebab-case names equal to their file names, and every file is registered", () => {
    const dir = fileURLToPath(new URL(".", import.meta.url));
    const files = readdirSync(dir).filter((f) => f.endsWith(".ts") && !f.includes(".test.") && !["index.ts", "main.ts", "bench.ts", "matrix.ts", "study.ts", "nightly.ts"].includes(f)).map((f) => f.replace(/\.ts$/, "")).sort();
    const names = scenarios.map((s) => s.name);
    expect(new Set(names).size).toBe(names.length);
    expect([...names].sort()).toEqual(files);
  });

  it("covers the issue's catalogue", () => {
    expect(scenarios.map((s) => s.name)).toEqual(expect.arrayContaining([
      "baseline", "kill-leader", "kill-scheduler", "usr1-failover", "pause-leader", "partition-etcd",
      "kill-etcd-leader", "kill-apiserver", "incompatible-executor", "hot-standby-kill-leader",
    ]));
  });

  it("expects incompatible declines only where the executors differ", () => {
    for (const s of scenarios) {
      const differs = s.topology.some((o) => o.includes("advertised-address"));
      expect(s.expect.incompatibleDeclines, s.name).toBe(differs ? "required" : "none");
    }
  });
});

describe("scenario topology overrides", () => {
  it("are valid --set input, and incompatible-executor gives every master its own advertised address", async () => {
    const { applySetOverrides, profileSpec } = await import("../harness/index.js");
    for (const s of scenarios) expect(() => applySetOverrides(profileSpec("seed"), s.topology), s.name).not.toThrow();
    const trap = scenarios.find((s) => s.name === "incompatible-executor")!;
    const spec = applySetOverrides(applySetOverrides(profileSpec("fast"), ["masters=3"]), trap.topology);
    expect(spec.scheduler.flags["advertised-address"]).toBe("${MY_IP}:10251");
  });
});
