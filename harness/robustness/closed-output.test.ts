// Robustness: a closed stdout or stderr (`| head`, a reader that went away) never stops the work
// nor its cleanup: the command finishes, its teardown runs, and the lost output makes an exit 0 an
// exit 2. The shell's own command in a child process; the Docker tier does the same with a run.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../paths.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "k8sm-closed-output-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs the output child with `closed` (its read end) closed as soon as it is spawned; returns its exit code and the other stream. */
function runWithClosed(closed: "stdout" | "stderr", marker: string): Promise<{ code: number | null; signal: NodeJS.Signals | null; other: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", "harness/testing/output-child.ts", "--marker", marker], { cwd: PROJECT_ROOT, stdio: ["ignore", "pipe", "pipe"] });
  child[closed].destroy();
  let other = "";
  child[closed === "stdout" ? "stderr" : "stdout"].on("data", (d: Buffer) => (other += d.toString()));
  return new Promise((resolve) => child.on("close", (code, signal) => resolve({ code, signal, other })));
}

describe("a closed output stream", () => {
  it("stdout closed before the one summary write that ends the command (a reader gone by then, as `| head` after npm's banner): exit 2", async () => {
    const marker = path.join(dir, "late.marker");
    const child = spawn(process.execPath, ["--import", "tsx", "harness/testing/output-child.ts", "--marker", marker, "--late"], { cwd: PROJECT_ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let err = "";
    child.stderr.on("data", (d: Buffer) => {
      err += d.toString();
      if (/ready/.test(err)) child.stdout.destroy();
    });
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    expect(code, err).toBe(2);
    expect(err).toMatch(/output: stdout was closed \(EPIPE\)/);
    expect(existsSync(marker)).toBe(true);
  });

  it.each(["stdout", "stderr"] as const)("%s closed: the work and its teardown run to the end, exit 2, the other stream says what was lost", async (closed) => {
    const marker = path.join(dir, `${closed}.marker`);
    const r = await runWithClosed(closed, marker);
    expect(r.signal).toBeNull();
    expect(r.code, r.other).toBe(2);
    expect(existsSync(marker)).toBe(true);
    if (closed === "stdout") expect(r.other).toMatch(/output: stdout was closed \(EPIPE\)/);
    else expect(r.other).toMatch(/result 39/); // stdout got everything
  });
});

describe("Ctrl-C after the outcome is settled", () => {
  it("a command that says its work is done (a run whose reports were being written) keeps its exit code, not 130", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", "harness/testing/output-child.ts", "--settles"], { cwd: PROJECT_ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let err = "";
    child.stderr.on("data", (d: Buffer) => {
      err += d.toString();
      if (/ready\n/.test(err) && !/interrupted/.test(err)) child.kill("SIGINT");
    });
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    expect(err).toMatch(/interrupted \(SIGINT\)/);
    expect(code, err).toBe(0);
  });
});
