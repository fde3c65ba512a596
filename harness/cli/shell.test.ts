import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { waitFor } from "../async/wait-for.js";
import { HarnessError, InputError, InterruptedError } from "../errors.js";
import { STILL_CLEANING_UP } from "../lifecycle/index.js";
import { defineCommand, didYouMean, editDistance, formatClock, parseCommand, renderHelp, runCommand, type CommandContext } from "./shell.js";

/** A command whose run records that it ran; `body` decides what it does. */
function command(body: (ctx: CommandContext<typeof OPTIONS, { repeat: number; name: string | undefined }>) => Promise<number | void> | number | void = () => 0) {
  const ran: string[] = [];
  const cmd = defineCommand({
    name: "demo",
    usage: "npm run demo -- <up|down|status> [--repeat N] [--out DIR] [--keep]",
    summary: "A command for the shell's tests.",
    options: OPTIONS,
    optionHelp: { repeat: ["N", "trials (default 1)"], out: ["DIR", "reports root"], keep: "leave it running", mirror: ["=URL", "a mirror"] },
    positionals: { name: "command", choices: ["up", "down", "status"], min: 1, max: 1 },
    epilog: "keys: a, b",
    parse: ({ values, positionals }) => {
      const repeat = Number(values.repeat ?? "1");
      if (!Number.isInteger(repeat)) throw new InputError(`--repeat must be an integer, got "${values.repeat}"`);
      return { repeat, name: positionals[0] };
    },
    run: (ctx) => {
      ran.push(ctx.input.name ?? "");
      return body(ctx);
    },
  });
  return { cmd, ran };
}
const OPTIONS = { repeat: { type: "string" }, out: { type: "string" }, keep: { type: "boolean" }, mirror: { type: "string" } } as const;

async function run(argv: string[], body?: Parameters<typeof command>[0], startedAtMs?: number) {
  const { cmd, ran } = command(body);
  let stdout = "";
  let stderr = "";
  const code = await runCommand(cmd, argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), startedAtMs });
  return { code, stdout, stderr, ran };
}

describe("formatClock", () => {
  it("is mm:ss under an hour and h:mm:ss after", () => {
    expect([0, 999, 65_000, 3_599_999, 3_600_000, 3_725_000, 36_000_000].map(formatClock)).toEqual(["00:00", "00:00", "01:05", "59:59", "1:00:00", "1:02:05", "10:00:00"]);
  });
});

describe("did you mean", () => {
  it("counts insertions, deletions, substitutions and swapped neighbours as one edit each", () => {
    expect([editDistance("repat", "repeat"), editDistance("trails", "trials"), editDistance("kitten", "sitting"), editDistance("", "abc")]).toEqual([1, 1, 3, 3]);
  });

  it("suggests the near candidate, or the one the input starts, and nothing when none is close", () => {
    const options = ["--repeat", "--set", "--seed", "--keep", "--help", "--up-samples"];
    expect(didYouMean("--repat", options)).toBe("--repeat");
    expect(didYouMean("--sed", options)).toBe("--set");
    expect(didYouMean("--up", options)).toBe("--up-samples");
    expect(didYouMean("--everything", options)).toBeUndefined();
    expect(didYouMean("stauts", ["up", "down", "status"])).toBe("status");
    expect(didYouMean("sideways", ["up", "down", "status"])).toBeUndefined();
  });
});

describe("runCommand: --help and --version do no work", () => {
  it.each([[["--help"]], [["-h"]], [["up", "--bogus", "--help"]], [["--repeat", "x", "-h"]]])("%j prints the help, exit 0", async (argv) => {
    const r = await run(argv);
    expect(r.code).toBe(0);
    expect(r.ran).toEqual([]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(/^usage: npm run demo -- <up\|down\|status>/);
    expect(r.stdout).toContain("A command for the shell's tests.");
    expect(r.stdout).toMatch(/\n {2}--repeat N {2,}trials \(default 1\)\n/);
    expect(r.stdout).toMatch(/\n {2}--mirror=URL {2,}a mirror\n/);
    expect(r.stdout).toMatch(/\n {2}-h, --help {2,}print this text and exit\n/);
    expect(r.stdout).toMatch(/\n {2}--version {2,}print the harness version/);
    expect(r.stdout).toMatch(/keys: a, b\n$/);
  });

  it("--version prints the package version and the commit, exit 0", async () => {
    const r = await run(["--version"]);
    expect(r.code).toBe(0);
    expect(r.ran).toEqual([]);
    expect(r.stdout).toMatch(/^demo: k8sm-ha-chaos \d+\.\d+\.\d+\S*, commit ([0-9a-f]{7,}(-dirty)?|unknown)\n$/);
  });

  it("renderHelp aligns every option, the shell's included", () => {
    const { cmd } = command();
    const lines = renderHelp(cmd).split("\n").filter((l) => l.startsWith("  -"));
    expect(lines).toHaveLength(6);
    expect(new Set(lines.map((l) => l.search(/\S {2,}\S/) + l.match(/\S {2,}/)![0].length)).size).toBe(1);
  });
});

describe("runCommand: bad input is exit 2 with the usage, before any work", () => {
  it.each([
    [["up", "--repat", "3"], /^error \[E_INPUT\]: unknown option --repat; did you mean --repeat\?$/m],
    [["up", "--everything"], /^error \[E_INPUT\]: unknown option --everything$/m],
    [["up", "-x"], /unknown option -x$/m],
    [["up", "--keep=yes"], /--keep takes no value \(got "yes"\)/],
    [["up", "--out"], /--out needs a value$/m],
    [["up", "--out", "--keep"], /--out needs a value \(got the option --keep\)/],
    [["stauts"], /unknown command "stauts"; did you mean "status"\?\n {2}hint: valid commands: up, down, status\n {2}usage: npm run demo/],
    [["sideways"], /unknown command "sideways"\n/],
    [[], /missing command \(up, down or status\)/],
    [["up", "extra"], /unexpected argument "extra"/],
    [["up", "--repeat", "x"], /--repeat must be an integer, got "x"\n {2}hint: usage: npm run demo -- <up\|down\|status> \[--repeat N\]/],
  ])("%j", async (argv, message) => {
    const r = await run(argv);
    expect(r.code, r.stderr).toBe(2);
    expect(r.ran).toEqual([]);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toMatch(/hint: .*usage: npm run demo -- |\n {2}usage: npm run demo -- /);
    expect(r.stderr).not.toMatch(/To specify a positional|ERR_PARSE_ARGS|Unknown option/); // never Node's own text
  });

  it("takes a negative number as a value, and values after --", async () => {
    const { cmd } = command();
    expect(await parseCommand(cmd, ["up", "--repeat", "-3"])).toEqual({ repeat: -3, name: "up" });
    expect(await parseCommand(cmd, ["--", "up"])).toEqual({ repeat: 1, name: "up" });
  });

  it("parseCommand throws what runCommand reports and answers --help with null", async () => {
    const { cmd } = command();
    const err = await parseCommand(cmd, ["up", "--repeat", "x"]).catch((e: unknown) => e as HarnessError);
    expect(err).toMatchObject({ code: "E_INPUT", message: '--repeat must be an integer, got "x"', hint: expect.stringMatching(/^usage: npm run demo/) });
    let printed = "";
    expect(await parseCommand(cmd, ["-h"], { stdout: (t) => (printed += t) })).toBeNull();
    expect(printed).toMatch(/^usage:/);
  });

  it("refuses a definition that shadows --help or leaves an option undocumented", () => {
    expect(() => defineCommand({ name: "x", usage: "x", summary: "x", options: { help: { type: "boolean" } }, optionHelp: { help: "h" }, run: () => 0 })).toThrow(/--help is the shell's/);
    expect(() => defineCommand({ name: "x", usage: "x", summary: "x", options: { a: { type: "boolean" } }, optionHelp: {} as { a: string }, run: () => 0 })).toThrow(/--a has no optionHelp/);
  });
});

describe("runCommand: the run", () => {
  it("passes the input and typed values, returns the run's code, 0 for none", async () => {
    expect((await run(["up", "--keep", "--repeat", "2"], (ctx) => (ctx.input.repeat === 2 && ctx.args.values.keep === true ? 1 : 3))).code).toBe(1);
    expect((await run(["down"], () => {})).code).toBe(0);
  });

  it("progress is `[mm:ss] line` on stderr since the start, `[h:mm:ss]` past an hour; out adds the newline", async () => {
    // The clock a line shows is whatever time has passed since the start, read between two readings
    // taken around the run: exact for the format, whatever the machine's load.
    const around = async (ago: number, body: Parameters<typeof run>[1]) => {
      const start = performance.timeOrigin + performance.now() - ago;
      const r = await run(["up"], body, start);
      const after = performance.timeOrigin + performance.now();
      const clocks: string[] = [];
      for (let sec = Math.floor(ago / 1000); sec <= Math.floor((after - start) / 1000); sec++) clocks.push(formatClock(sec * 1000));
      return { r, clocks };
    };
    const { r, clocks } = await around(0, (ctx) => {
      ctx.progress("starting");
      ctx.out("table");
      ctx.out("line\n");
    });
    expect(r.stderr).toMatch(/^\[\d\d:\d\d\] starting\n$/);
    expect(clocks).toContain(r.stderr.slice(1, 6));
    expect(r.stdout).toBe("table\nline\n");
    const late = await around(3_725_000, (ctx) => ctx.progress("later"));
    expect(late.r.stderr).toMatch(/^\[1:\d\d:\d\d\] later\n$/);
    expect(late.clocks).toContain(late.r.stderr.slice(1, 8));
  });

  it("a thrown error is formatted once, exit 2; an InterruptedError is 130", async () => {
    const r = await run(["up"], () => {
      throw new HarnessError("E_REPORT", "cannot write x", "free some disk");
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("error [E_REPORT]: cannot write x\n  hint: free some disk\n");
    expect((await run(["up"], () => Promise.reject(new InterruptedError()))).code).toBe(130);
  });

  it("disposes the teardown on every path, after the run", async () => {
    const log: string[] = [];
    const body = (fail: boolean) => (ctx: CommandContext<typeof OPTIONS, unknown>) => {
      ctx.teardown.defer(() => void log.push("teardown"), "note");
      log.push("run");
      if (fail) throw new Error("boom");
    };
    const ok = await run(["up"], body(false));
    const failed = await run(["up"], body(true));
    expect([ok.code, failed.code]).toEqual([0, 2]);
    expect(log).toEqual(["run", "teardown", "run", "teardown"]);
    expect(ok.stderr).toBe("[00:00] cleaning up\n");
  });

  it("a failed teardown is reported with its hint, and turns exit 0 into 2 (a failed check stays 1)", async () => {
    const body = (code: number) => (ctx: CommandContext<typeof OPTIONS, unknown>) => {
      ctx.teardown.defer(() => Promise.reject(new Error("engine gone")), "remove container c1");
      ctx.setCleanupHint("what is left is labelled run-id=r1");
      return code;
    };
    const r = await run(["up"], body(0));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("cleanup: teardown: 1 of 1 steps failed: remove container c1: engine gone\n  hint: what is left is labelled run-id=r1\n");
    expect((await run(["up"], body(1))).code).toBe(1);
  });
});

describe("runCommand: a command that can never finish", () => {
  it("fails (exit 2, saying so) when the event loop drains under it, instead of Node's silent exit 0", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", fileURLToPath(new URL("../testing/shell-child.ts", import.meta.url))], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, SHELL_CHILD_STALL: "1" } });
    let err = "";
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    expect(err).toContain("stalling");
    expect(err).toContain("error [E_INTERNAL]: shell-child stopped with work still under way");
    expect(code).toBe(2);
  });
});

describe("runCommand: Ctrl-C", () => {
  it("aborts ctx.signal, runs the teardown, exits 130; npm's doubled SIGINT counts as one press", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", fileURLToPath(new URL("../testing/shell-child.ts", import.meta.url))], { stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    const ready = new Promise<void>((resolve) =>
      child.stderr.on("data", (d: Buffer) => {
        err += d.toString();
        if (err.includes("ready")) resolve();
      }),
    );
    const exit = new Promise<number | null>((resolve) => child.on("close", resolve));
    await ready;
    child.kill("SIGINT");
    child.kill("SIGINT"); // the same press, forwarded by npm
    // Both are sent: now the child's teardown may finish (and its handlers go).
    await waitFor(() => err.includes("interrupted (SIGINT)"), { description: "the child's interrupt line", intervalMs: 20, timeoutMs: 20_000 });
    child.stdin.end("go\n");
    expect(await exit).toBe(130);
    expect(out).toBe("teardown ran\n");
    expect(err).toMatch(/^\[00:\d\d\] ready\n\[00:\d\d\] interrupted \(SIGINT\): stopping the run and tearing down\n/);
    expect(err).toContain("error [E_INTERRUPTED]: interrupted by SIGINT");
    expect(err).not.toContain(STILL_CLEANING_UP);
  });
});
