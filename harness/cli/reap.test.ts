import { spawn } from "node:child_process";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const cli = fileURLToPath(new URL("./reap.ts", import.meta.url));

function runReap(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", cli, ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr })));
}

async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe("npm run reap", () => {
  it("exits 2 with one clear message when no engine answers", async () => {
    const port = await closedPort();
    const { code, stderr } = await runReap([], { DOCKER_HOST: `tcp://127.0.0.1:${port}` });
    expect(code).toBe(2);
    expect(stderr).toContain(`error [E_DOCKER_UNAVAILABLE]: no Docker engine answers at tcp://127.0.0.1:${port}`);
    expect(stderr).toContain("hint: Run `npm run setup`");
  });

  it("--engine is repeatable: an engine that does not answer is reported and the others are still reaped; exit 2", async () => {
    const [p1, p2] = [await closedPort(), await closedPort()];
    const { code, stderr } = await runReap(["--engine", `tcp://127.0.0.1:${p1},parallel=2`, "--engine", `tcp://127.0.0.1:${p2}`], {});
    expect(code).toBe(2);
    expect(stderr).toContain(`reaping on tcp://127.0.0.1:${p1}`);
    expect(stderr).toContain(`no Docker engine answers at tcp://127.0.0.1:${p1}`);
    // The first engine's failure did not stop the second from being tried.
    expect(stderr).toContain(`no Docker engine answers at tcp://127.0.0.1:${p2}`);
  });

  it("exits 2 on an unknown flag, with the usage and a did-you-mean", async () => {
    const { code, stderr } = await runReap(["--everything"], {});
    expect(code).toBe(2);
    expect(stderr).toMatch(/^error \[E_INPUT\]: unknown option --everything\n {2}hint: usage: npm run reap \[-- --all\]/);
    expect((await runReap(["--al"], {})).stderr).toMatch(/unknown option --al; did you mean --all\?/);
  });
});
