import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const CLI = fileURLToPath(new URL("./topology.ts", import.meta.url));
const TSX = fileURLToPath(new URL("../../node_modules/.bin/tsx", import.meta.url));

// DOCKER_HOST points at nothing: a command that got as far as Docker would fail with E_DOCKER_UNAVAILABLE,
// so E_INPUT proves the input was rejected before any container could start.
const run = (...args: string[]) =>
  spawnSync(TSX, [CLI, ...args], { encoding: "utf8", env: { ...process.env, DOCKER_HOST: "tcp://127.0.0.1:1" }, timeout: 30_000 });

describe("npm run topology: bad input", () => {
  it.each([
    [["up", "--mode", "warm"], /valid modes are cold-standby, hot-standby/],
    [["up", "--masters", "0"], /--masters must be between 1 and 9, got 0/],
    [["up", "--masters", "x"], /--masters must be an integer, got "x"/],
    [["up", "--json"], /--json is an option of `status`, not of `up`/],
    [["up", "--set", "ttl-secs=0"], /`podmaster\.ttlSecs` must be between 1/],
    [["up", "--set", "ttl=3"], /unknown key "ttl"[\s\S]*ttl-secs=/],
    [["up", "--profile", "slow"], /valid profiles are seed, fast/],
    [["sideways"], /valid commands: up, down, status/],
    [["status", "--run-id", "nope"], /is not a run id/],
  ])("%j exits 2 naming the valid values", (args, message) => {
    const r = run(...args);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/E_INPUT/);
    expect(r.stderr).toMatch(message);
  });

  it("--masters 0 names the flag typed, never a --set the user did not type", () => {
    const r = run("up", "--masters", "0", "--set", "ttl-secs=5");
    expect(r.status).toBe(2);
    expect(r.stderr).not.toMatch(/--set masters|after --set/);
    const bad = run("up", "--masters", "2", "--set", "ttl-secs=0");
    expect(bad.stderr).toMatch(/after --set ttl-secs=0\)/);
    expect(bad.stderr).not.toMatch(/masters=2/);
  });

  it("a valid `status` (and `status --json`) gets as far as Docker", () => {
    expect(run("status", "--json").stderr).toMatch(/E_DOCKER_UNAVAILABLE/);
    const r = run("status");
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/E_DOCKER_UNAVAILABLE/);
  });
});
