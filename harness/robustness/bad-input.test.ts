// Issue 6, robustness: bad input at every entry is rejected before anything starts, with exit 2 and
// the option named. What scenarios/main.test.ts, harness/cli/{topology,reap}.test.ts and
// harness/setup/options.test.ts already cover is not repeated: this adds the absurdly large, the
// other negatives, zeros and non-numbers, empty paths, and the entries end to end.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseScenarioArgs } from "../cli/scenario.js";
import { defineScenario } from "../runner/types.js";
import { PROJECT_ROOT } from "../paths.js";

// harness/ may not import the catalogue (layer rule): one scenario of the same shape stands in for it.
const catalogue = [
  defineScenario({
    name: "kill-leader",
    description: "SIGKILL the leading master node",
    topology: [],
    fault: { kind: "kill-container", target: "scheduler-leader" },
    model: "cold-node-death",
    expect: { incompatibleDeclines: "none", dualScheduler: "none", failover: true },
  }),
];
const parse = (argv: string[]) => parseScenarioArgs(argv, catalogue, () => {});
// No engine at DOCKER_HOST: an entry that got past its input checks would fail with E_DOCKER_UNAVAILABLE,
// so E_INPUT proves the input was rejected before any container could start.
const run = (entry: string, ...args: string[]) =>
  spawnSync(process.execPath, ["--import", "tsx", entry, ...args], { cwd: PROJECT_ROOT, encoding: "utf8", env: { ...process.env, DOCKER_HOST: "tcp://127.0.0.1:1" }, timeout: 30_000 });

describe("npm run scenario: values out of range, before any container", () => {
  it.each([
    // absurdly large
    [["--set", "ttl-secs=99999999"], /`podmaster\.ttlSecs` must be between 1 and 3600, got 99999999/],
    [["--set", "ttl-secs=86400"], /`podmaster\.ttlSecs` must be between 1 and 3600/],
    [["--set", "masters=500"], /`masters` must be between 1 and 9, got 500/],
    [["--set", "agents=1000"], /`agents` must be between 1 and 16, got 1000/],
    [["--set", "sleep=99999h"], /`podmaster\.sleepMs` must be between 10 and 3600000/],
    [["--set", "file-check-frequency=1000h"], /`kubelet\.fileCheckFrequencyMs` must be between 100 and 3600000/],
    [["--set", "allocation-interval=100000h"], /`mesos\.allocationIntervalMs` must be between 10 and 3600000/],
    [["--set", "failover-timeout=1e100"], /`mesos\.failoverTimeoutSecs` must be between 0 and 4611686018/],
    [["--set", "v=11"], /`scheduler\.v` must be between 0 and 10/],
    [["--repeat", "1000000"], /--repeat must be between 1 and 1000, got 1000000/],
    [["--seed", "99999999999999999999"], /--seed must be between 0 and 9007199254740991/],
    [["--set", "master.9.scheduler.x=1"], /`masterOverrides\.9` names master 9, but the topology has 2 master/],
    // negative
    [["--set", "masters=-1"], /`masters` must be between 1 and 9, got -1/],
    [["--set", "ttl-secs=-5"], /`podmaster\.ttlSecs` must be between 1 and 3600, got -5/],
    [["--set", "sleep=-1s"], /`podmaster\.sleepMs` must be between/],
    [["--set", "failover-timeout=-1"], /`mesos\.failoverTimeoutSecs` must be between 0/],
    [["--seed=-1"], /--seed must be between 0 and/],
    // zero
    [["--set", "masters=0"], /`masters` must be between 1 and 9, got 0/],
    [["--set", "sleep=0"], /`podmaster\.sleepMs` must be between 10 and 3600000, got 0/],
    [["--set", "sync-frequency=0s"], /`kubelet\.syncFrequencyMs` must be between 100/],
    [["--set", "master.0.scheduler.x=1"], /`masterOverrides\.0` is not a master index/],
    // not a number, or not the kind asked for
    [["--set", "masters=abc"], /--set masters: expected an integer, got "abc"/],
    [["--set", "ttl-secs=1.5"], /--set ttl-secs: expected an integer, got "1\.5"/],
    [["--set", "ttl-secs="], /--set ttl-secs: expected an integer, got ""/],
    [["--set", "sleep=5"], /--set sleep: missing unit in duration "5"/],
    [["--set", "sleep=1ns"], /`podmaster\.sleepMs` must be an integer/],
    [["--set", "failover-timeout=NaN"], /--set failover-timeout: expected a decimal number, got "NaN"/],
    [["--set", "failover-timeout=0x10"], /--set failover-timeout: expected a decimal number, got "0x10"/],
    [["--set", "etcd-members=2"], /`etcdMembers` must be one of 1, 3, got 2/],
    [["--repeat", "1.5"], /--repeat must be an integer, got "1\.5"/],
    // a negative number given as the option's next argument is its value (not Node's "argument is ambiguous")
    [["--repeat", "-1"], /--repeat must be between 1 and 1000, got -1/],
    [["--seed", "-5"], /--seed must be between 0 and 9007199254740991, got -5/],
    [["--seed", "abc"], /--seed must be an integer, got "abc"/],
    // malformed --set, unknown and empty values
    [["--set", "ttl-secs"], /--set "ttl-secs": expected key=value/],
    [["--set", "=5"], /--set "=5": expected key=value/],
    [["--set", "image.bogus=x"], /--set image\.bogus: unknown image/],
    [["--set", "image.etcd="], /`images\.etcd` must be a non-empty string/],
    [["--set", "scheduler.bad flag=1"], /`scheduler\.flags\.bad flag` is not a valid flag/],
    [["--set", "scheduler-env.X=${NOPE}"], /uses \$\{NOPE\}, which is not one of the seed's variables/],
    [["--out", ""], /--out must not be empty/],
  ])("kill-leader %j", async (args, message) => {
    const err = await parse(["kill-leader", ...(args as string[])]).then(() => null, (e: unknown) => e as { code?: string; message?: string });
    expect(err?.code).toBe("E_INPUT");
    expect(err?.message).toMatch(message);
  });

  it("the CLI says --repeat -1 is out of range, in its own words", () => {
    const r = run("scenarios/main.ts", "kill-leader", "--profile", "fast", "--repeat", "-1");
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/error \[E_INPUT\]: --repeat must be between 1 and 1000, got -1/);
    expect(r.stderr).not.toMatch(/ambiguous/);
  });

  it("the CLI exits 2 on an absurd value without reaching Docker", () => {
    const r = run("scenarios/main.ts", "kill-leader", "--profile", "fast", "--set", "masters=500", "--repeat", "1000000");
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/error \[E_INPUT\]: invalid topology spec: `masters` must be between 1 and 9, got 500/);
    expect(r.stderr).not.toMatch(/E_DOCKER_UNAVAILABLE/);
  });
});

describe("npm run topology: the same kinds of input", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "k8sm-badinput-"));
  const file = path.join(dir, "a-file");
  writeFileSync(file, "");

  it.each([
    [["up", "--masters", "500"], /--masters must be between 1 and 9, got 500/],
    [["up", "--masters=-1"], /--masters must be between 1 and 9, got -1/],
    [["up", "--masters", "abc"], /--masters must be an integer, got "abc"/],
    [["up", "--set", "agents=99999"], /`agents` must be between 1 and 16, got 99999/],
    [["up", "--set", "ttl-secs=99999999"], /`podmaster\.ttlSecs` must be between 1 and 3600/],
    [["up", "--set", "sleep=abc"], /--set sleep: invalid duration "abc"/],
    [["up", "--log-dir="], /--log-dir must not be empty/],
    [["up", "--log-dir", path.join(file, "logs")], /--log-dir .* is not a writable directory \(ENOTDIR\)/],
    [["down", "--masters", "2"], /--masters is an option of `up`, not of `down`/],
    [["up", "extra"], /unexpected argument "extra"/],
  ])("%j exits 2 naming the option", (args, message) => {
    const r = run("harness/cli/topology.ts", ...(args as string[]));
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/error \[E_INPUT\]/);
    expect(r.stderr).toMatch(message);
  });

  it("cleans up", () => rmSync(dir, { recursive: true, force: true }));
});

describe("--out and --log-dir: checked level by level, nothing created when refused", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "k8sm-badinput-"));

  // Node's recursive mkdir loops for ever on procfs: the CLI must refuse at once (the spawn's 30 s timeout would kill a spinning one: status null).
  it.each([
    ["scenarios/main.ts", ["kill-leader", "--profile", "fast", "--out", "/proc/k8sm-chaos/reports"], /--out \/proc\/k8sm-chaos\/reports is not a writable directory \(ENOENT\)/],
    ["harness/cli/topology.ts", ["up", "--log-dir", "/proc/k8sm-chaos/logs"], /--log-dir \/proc\/k8sm-chaos\/logs is not a writable directory \(ENOENT\)/],
    ["harness/cli/topology.ts", ["up", "--log-dir", "/proc/self/k8sm-chaos"], /--log-dir \/proc\/self\/k8sm-chaos is not a writable directory/],
  ])("%s %j exits 2 at once", (entry, args, message) => {
    const r = run(entry, ...args);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it("a refused --out leaves no parent folder behind", () => {
    const base = path.join(dir, "made", "by", "nobody");
    const r = run("scenarios/main.ts", "kill-leader", "--profile", "fast", "--out", path.join(base, "x".repeat(300)));
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/--out .* is not a writable directory \(ENAMETOOLONG/);
    expect(existsSync(path.join(dir, "made"))).toBe(false);
  });

  it("an --out made of several new levels is created", async () => {
    const out = path.join(dir, "new", "a", "b");
    expect(await parse(["kill-leader", "--out", out])).toMatchObject({ outDir: out });
    expect(existsSync(out)).toBe(true);
  });

  it("cleans up", () => rmSync(dir, { recursive: true, force: true }));
});

describe("npm run reap and npm run setup: bad flags", () => {
  it.each([
    [["--all=yes"], /--all takes no value \(got "yes"\)/],
    [["everything"], /unexpected argument "everything"/],
  ])("reap %j exits 2 with the usage", (args, message) => {
    const r = run("harness/cli/reap.ts", ...(args as string[]));
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/error \[E_INPUT\]/);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toMatch(/usage: npm run reap/);
  });

  // setup.sh's step 1 (npm dependencies) takes no input; its arguments go to harness/setup/main.ts,
  // run here directly so the test can never install anything.
  it("setup --bogus exits 2 with the usage, before any step", () => {
    const r = run("harness/setup/main.ts", "--bogus");
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/error \[E_INPUT\]: unknown option --bogus/);
    expect(r.stderr).toMatch(/--fixtures-only/);
    expect(`${r.stdout}${r.stderr}`).not.toMatch(/\[2\/6\]/); // step lines are progress, on stderr
  });
});
