/** The stale sweep of second engines (harness/bench/second-engine.ts) on plain folders: no dockerd needed. */
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, utimes, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { removeStaleSecondEngines } from "./second-engine.js";

let parent: string | undefined;
afterEach(async () => {
  if (parent) await rm(parent, { recursive: true, force: true });
});

describe("removeStaleSecondEngines", () => {
  it("leaves a folder whose owner is alive or not yet written (a start under way), removes an old ownerless or dead-owner one", async () => {
    parent = await mkdtemp(path.join(os.tmpdir(), "k8sm-sweep-"));
    const dir = async (name: string, owner?: string, ageMs = 0): Promise<string> => {
      const d = path.join(parent!, `k8sm-e2-${name}`);
      await mkdir(d);
      if (owner !== undefined) await writeFile(path.join(d, "owner.pid"), owner);
      if (ageMs) await utimes(d, new Date(Date.now() - ageMs), new Date(Date.now() - ageMs));
      return d;
    };
    const alive = await dir("alive", `${process.pid}\n`);
    const starting = await dir("starting");
    const emptyOwner = await dir("empty", "");
    const old = await dir("old", undefined, 10 * 60_000);
    // A pid far above pid_max: never alive.
    const dead = await dir("dead", "99999999\n");
    const removed = await removeStaleSecondEngines(parent);
    expect(removed.sort()).toEqual([dead, old].sort());
    expect([alive, starting, emptyOwner].every((d) => existsSync(d))).toBe(true);
    expect([dead, old].some((d) => existsSync(d))).toBe(false);
  });
});
