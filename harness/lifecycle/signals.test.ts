import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { waitFor } from "../async/wait-for.js";
import { STILL_CLEANING_UP, SAME_PRESS_MS } from "./signals.js";

const child = fileURLToPath(new URL("../testing/signals-child.ts", import.meta.url));

interface Run {
  proc: ChildProcess;
  out: () => string;
  err: () => string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const runs: Run[] = [];
afterEach(() => {
  for (const r of runs.splice(0)) if (r.proc.exitCode === null && r.proc.signalCode === null) r.proc.kill("SIGKILL");
});

function start(teardownMs: number): Run {
  const proc = spawn(process.execPath, ["--import", "tsx", child], {
    env: { ...process.env, TEARDOWN_MS: String(teardownMs) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  proc.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  proc.stderr!.on("data", (d: Buffer) => (err += d.toString()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.on("exit", (code, signal) => resolve({ code, signal })),
  );
  const run = { proc, out: () => out, err: () => err, exit };
  runs.push(run);
  return run;
}

async function until(run: Run, text: string): Promise<void> {
  await waitFor(() => run.out().includes(text), { description: `child prints "${text}"`, intervalMs: 20, timeoutMs: 20_000 });
}

describe("interrupt handlers", () => {
  it("on SIGINT: aborts the run with InterruptedError, tears down, exits 130", async () => {
    const run = start(50);
    await until(run, "ready");
    run.proc.kill("SIGINT");
    const { code } = await run.exit;
    expect(code).toBe(130);
    expect(run.out()).toContain("error [E_INTERRUPTED]: interrupted by SIGINT");
    expect(run.out()).toMatch(/teardown started\n[\s\S]*teardown done\nexiting\n$/);
    expect(run.err()).toContain("interrupted (SIGINT): stopping the run and tearing down");
  });

  it("on SIGTERM: the same, exit 130", async () => {
    const run = start(0);
    await until(run, "ready");
    run.proc.kill("SIGTERM");
    expect((await run.exit).code).toBe(130);
    expect(run.out()).toContain("teardown done");
  });

  it("second Ctrl-C says it is still cleaning up; the third abandons at once", async () => {
    const run = start(600_000);
    await until(run, "ready");
    run.proc.kill("SIGINT");
    run.proc.kill("SIGINT"); // the same press, forwarded by npm: not a second Ctrl-C
    await until(run, "teardown started");
    await new Promise((r) => setTimeout(r, SAME_PRESS_MS + 100));
    expect(run.err()).not.toContain(STILL_CLEANING_UP);
    run.proc.kill("SIGINT");
    await waitFor(() => run.err().includes(STILL_CLEANING_UP), { description: "the still-cleaning-up message", intervalMs: 20, timeoutMs: 20_000 });
    expect(run.proc.exitCode).toBeNull();
    await new Promise((r) => setTimeout(r, SAME_PRESS_MS + 100));
    run.proc.kill("SIGINT");
    const { code } = await run.exit;
    expect(code).toBe(130);
    expect(run.out()).not.toContain("teardown done");
    expect(run.err()).toContain("npm run reap");
  });
});
