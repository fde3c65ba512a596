/**
 * The second engine's own teardown (harness/bench/second-engine.ts): nothing of it is left, not
 * after `stop()`, and not after the process that started it was SIGKILLed (the next start, or
 * `removeStaleSecondEngines`, removes what it left). The main engine is never touched.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { getDocker } from "../docker/client.js";
import { PROJECT_ROOT } from "../paths.js";
import { removeStaleSecondEngines, startSecondEngine } from "./second-engine.js";

/** What of the engine named by its folder is left on this host: the folder, the namespace, cgroups, processes. */
async function leftovers(dir: string): Promise<string[]> {
  const name = path.basename(dir);
  const left: string[] = [];
  if (existsSync(dir)) left.push(`folder ${dir}`);
  if (existsSync(`/run/netns/${name}`)) left.push(`netns ${name}`);
  for (const h of await readdir("/sys/fs/cgroup")) if (existsSync(path.join("/sys/fs/cgroup", h, name))) left.push(`cgroup ${h}/${name}`);
  for (const pid of (await readdir("/proc")).filter((p) => /^\d+$/.test(p))) {
    if ((await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "")).includes(dir)) left.push(`process ${pid}`);
  }
  return left;
}

describe("the second engine", () => {
  it("runs a container apart from the main engine, and stop() leaves nothing", async () => {
    const main = await getDocker();
    // (Not the engine ID: dockerd 20.10 derives it from /etc/docker/key.json, which both read.)
    const mainBefore = await main.info();
    const engine = await startSecondEngine();
    try {
      const info = await engine.docker.info();
      expect(info.DockerRootDir).toBe(path.join(engine.dir, "data"));
      expect(info.DockerRootDir).not.toBe(mainBefore.DockerRootDir);
      expect(await engine.docker.listContainers({ all: true })).toEqual([]);
    } finally {
      await engine.stop();
    }
    expect(await leftovers(engine.dir)).toEqual([]);
    expect((await main.info()).DockerRootDir).toBe(mainBefore.DockerRootDir);
  });

  it("what a SIGKILLed owner left (dockerd still running) is removed by the next start's sweep", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", "harness/bench/testing/second-engine-child.ts"], { cwd: PROJECT_ROOT, stdio: ["ignore", "pipe", "inherit"] });
    const dir = await new Promise<string>((resolve, reject) => {
      child.stdout.on("data", (d: Buffer) => resolve(d.toString().trim()));
      child.on("exit", (code) => reject(new Error(`the child exited (${code}) before starting the engine`)));
    });
    child.kill("SIGKILL");
    await new Promise((resolve) => child.once("close", resolve));
    expect((await leftovers(dir)).some((l) => l.startsWith("process"))).toBe(true);
    expect(await removeStaleSecondEngines()).toContain(dir);
    expect(await leftovers(dir)).toEqual([]);
  });
});
