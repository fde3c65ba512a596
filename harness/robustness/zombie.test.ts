// A SIGKILLed harness is a zombie until something reaps it (never, under a PID 1 that does not
// reap): the reaper must see its pid as dead, or its leftovers would stay forever.
import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { isAlive } from "../docker/reaper.js";

describe("isAlive", () => {
  it("a zombie is dead, its unreaping parent alive", async () => {
    // `exec sleep` never waits for the background child, so that child stays a zombie.
    const parent = spawn("sh", ["-c", "sleep 0.1 & echo $!; exec sleep 5"], { stdio: ["ignore", "pipe", "ignore"] });
    try {
      const zombie = Number(await new Promise<string>((r) => parent.stdout.once("data", (d: Buffer) => r(d.toString()))));
      // An eventual state (the child exits after 0.1 s): the deadline only has to outlast a loaded machine.
      await expect.poll(() => isAlive(zombie), { timeout: 20_000 }).toBe(false);
      expect(() => process.kill(zombie, 0)).not.toThrow(); // it still exists, as a zombie
      expect(isAlive(parent.pid!)).toBe(true);
    } finally {
      parent.kill("SIGKILL");
    }
  });
});
