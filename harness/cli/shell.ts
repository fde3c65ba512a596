/**
 * The one shell every command runs in: parses the command line, answers `--help` and `--version`
 * without doing any work, refuses bad input with the command's one-line usage and a did-you-mean
 * (exit 2), then runs the command with Ctrl-C handling, one progress format, a teardown that runs
 * on every path, and errors mapped to exit codes in one place (harness/errors.ts).
 *
 * ```ts
 * const OPTIONS = { repeat: { type: "string" }, keep: { type: "boolean" } } as const; // node:util parseArgs config
 *
 * const demo = defineCommand({
 *   name: "demo",                                                  // npm run demo; --version says it
 *   usage: "npm run demo -- <name> [--repeat N] [--keep]",          // repeated under every input error
 *   summary: "What it does, for --help.",
 *   options: OPTIONS,                                               // --help/-h and --version are added
 *   optionHelp: { repeat: ["N", "trials (default 1)"], keep: "leave it running" }, // tsc wants every option
 *   positionals: { name: "scenario", choices: ["a", "b"], min: 1, max: 1 },        // absent: none accepted
 *   parse: ({ values, positionals }) => ({                          // every input check, before any work:
 *     name: positionals[0]!,                                        //   throw InputError → exit 2 + usage
 *     repeat: intOption("repeat", values.repeat, 1, 1, 1000),
 *   }),
 *   async run(ctx) {                                                // ctx.input: what parse returned
 *     ctx.progress(`run ${ctx.input.name}`);                        // stderr: "[00:03] run a"
 *     ctx.teardown.defer(() => removeIt(), "remove the topology");   // runs after run, on every path
 *     await work(ctx.signal);                                       // aborted by Ctrl-C / SIGTERM
 *     ctx.out(table);                                               // stdout
 *     return passed ? 0 : 1;                                        // nothing returned: 0; a throw: exitCodeFor
 *   },
 * });
 * process.exitCode = await runCommand(demo, process.argv.slice(2)); // never rejects
 * ```
 *
 * A command whose input is tested on its own keeps everything but `run` in a CommandSpec
 * (bench/options.ts: `benchSpec`), spreads it into `defineCommand({ ...spec, run })`, and tests it
 * with `parseCommand(spec, argv)`: the same checks and errors, nothing run.
 *
 * Exit codes: 0 pass, 1 a check failed (the command returns it), 2 bad input or a harness error
 * (anything thrown, a failed teardown, or output lost to a closed stdout/stderr after an exit 0),
 * 130 interrupted (Ctrl-C/SIGTERM aborted `ctx.signal`, whatever run returned, unless it called
 * `ctx.workDone()`). Output errors (EPIPE, EIO) never stop the work nor its cleanup.
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { exitCodeFor, formatError, HarnessError, InputError } from "../errors.js";
import { installInterruptHandlers, TeardownStack } from "../lifecycle/index.js";
import { harnessVersion } from "../version.js";

/** node:util parseArgs option config (`{ trials: { type: "string" }, keep: { type: "boolean" } }`). */
export type OptionsConfig = NonNullable<ParseArgsConfig["options"]>;

/** The parsed option values, typed from the config as parseArgs types them. */
export type OptionValues<O extends OptionsConfig> = ReturnType<typeof parseArgs<{ options: O; strict: true; allowPositionals: true }>>["values"];

/** What the command line said, options checked against the config and positionals against PositionalsSpec. */
export interface CommandArgs<O extends OptionsConfig> {
  readonly values: OptionValues<O>;
  readonly positionals: readonly string[];
}

/** An option's line in `--help`: its text, or [placeholder, text] for one that takes a value (`["N", "trials"]` → `--trials N`; `["=URL", …]` → `--mirror=URL`). */
export type OptionHelp = string | readonly [arg: string, text: string];

/** The positional arguments a command takes. Without one, a command takes none. */
export interface PositionalsSpec {
  /** What one is called in messages: "command" → `missing command`, `unknown command "x"`, `valid commands: …`. */
  readonly name: string;
  /** The valid values; anything else is refused with a did-you-mean. Absent: any string. */
  readonly choices?: readonly string[];
  /** Fewest accepted. @default 1 */
  readonly min?: number;
  /** Most accepted. @default 1 */
  readonly max?: number;
}

/** Everything about a command's input: enough to parse a command line without running anything. */
export interface CommandSpec<O extends OptionsConfig, I> {
  /** The npm script: `npm run <name>`. Shown by `--version`. */
  readonly name: string;
  /** The one-line usage, without "usage: " (`npm run bench -- [--trials N] [--out DIR]`): every input error repeats it. */
  readonly usage: string;
  /** What the command does; the first paragraph of `--help`. */
  readonly summary: string;
  /** The options (parseArgs config). `help` (-h) and `version` are the shell's: do not declare them. */
  readonly options: O;
  /** `--help`'s text for each option. */
  readonly optionHelp: { readonly [K in keyof O]: OptionHelp };
  readonly positionals?: PositionalsSpec;
  /** `--help`'s text after the options (valid keys, examples). */
  readonly epilog?: string;
  /**
   * Turns the parsed command line into the command's input; every input check belongs here (throw
   * InputError), so bad input exits 2 before any work. Absent: the input is the CommandArgs.
   */
  readonly parse?: (args: CommandArgs<O>) => I | Promise<I>;
}

export interface CommandContext<O extends OptionsConfig, I> {
  /** What `parse` returned. */
  readonly input: I;
  /** The command line as parsed (before `parse`). */
  readonly args: CommandArgs<O>;
  /** Aborted (reason: InterruptedError) on Ctrl-C or SIGTERM; pass it to everything that waits. */
  readonly signal: AbortSignal;
  /** Disposed after `run` on every path (and at once on Ctrl-C); its failures are reported and make exit 0 an exit 2. */
  readonly teardown: TeardownStack;
  /** A progress line on stderr: `[mm:ss] line` (`[h:mm:ss]` past an hour) since the command started. */
  readonly progress: (line: string) => void;
  /** Text on stdout (results, tables); a newline is added when `text` does not end with one. */
  readonly out: (text: string) => void;
  /** Milliseconds since the command started. */
  readonly elapsedMs: () => number;
  /** What to tell the user when the teardown fails (default: run `npm run reap`). */
  readonly setCleanupHint: (hint: string) => void;
  /**
   * Says the outcome is settled whatever Ctrl-C did (a run whose report says it completed: the
   * interrupt came while the reports were written): the code `run` returns is the exit code, not 130.
   */
  readonly workDone: () => void;
}

export interface CommandDefinition<O extends OptionsConfig, I> extends CommandSpec<O, I> {
  /** The work. Returns the exit code (0 when nothing is returned); a throw is reported and mapped by exitCodeFor. */
  readonly run: (ctx: CommandContext<O, I>) => Promise<number | void> | number | void;
}

/** Checks the definition once (no option may shadow --help/--version) and returns it. */
export function defineCommand<const O extends OptionsConfig, I = CommandArgs<O>>(def: CommandDefinition<O, I>): CommandDefinition<O, I> {
  for (const reserved of ["help", "version"]) {
    if (Object.hasOwn(def.options, reserved)) throw new Error(`command ${def.name}: --${reserved} is the shell's option, do not declare it`);
  }
  for (const name of Object.keys(def.options)) {
    if (!Object.hasOwn(def.optionHelp, name)) throw new Error(`command ${def.name}: --${name} has no optionHelp`);
  }
  return def;
}

/** The shell's own options, added to every command's. */
const SHELL_OPTIONS = { help: { type: "boolean", short: "h" }, version: { type: "boolean" } } as const;
const SHELL_HELP: Record<keyof typeof SHELL_OPTIONS, OptionHelp> = {
  help: "print this text and exit",
  version: "print the harness version and git commit and exit",
};

/** `mm:ss` for less than an hour, `h:mm:ss` after. */
export function formatClock(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const [h, m, s] = [Math.floor(total / 3600), Math.floor((total % 3600) / 60), total % 60];
  const two = (n: number): string => String(n).padStart(2, "0");
  return h > 0 ? `${h}:${two(m)}:${two(s)}` : `${two(m)}:${two(s)}`;
}

/** Optimal-string-alignment distance: edits (insert, delete, substitute, swap two neighbours) from a to b. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/**
 * The candidate `input` was most likely meant to be: the nearest within a third of the longer
 * length (at least one edit), or one `input` is the start of (3+ characters). Undefined when none is close.
 */
export function didYouMean(input: string, candidates: readonly string[]): string | undefined {
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = editDistance(input, candidate);
    if (distance <= Math.max(1, Math.floor(Math.max(input.length, candidate.length) / 3)) && (!best || distance < best.distance)) best = { candidate, distance };
  }
  return best?.candidate ?? (input.length >= 3 ? candidates.find((c) => c.startsWith(input)) : undefined);
}

type Parsed<O extends OptionsConfig> = { readonly kind: "help" } | { readonly kind: "version" } | ({ readonly kind: "args" } & CommandArgs<O>);

/**
 * The command line checked against the spec, without `parse`: `--help`/`--version` (anywhere
 * before `--`) win over everything else; otherwise every option and positional must be valid.
 * Throws InputError with the one-line usage in the hint; never Node's own parseArgs text.
 */
export function parseCommandLine<O extends OptionsConfig>(spec: CommandSpec<O, unknown>, argv: readonly string[]): Parsed<O> {
  const options = { ...spec.options, ...SHELL_OPTIONS };
  // Not strict: the tokens are checked here, so each mistake gets a message of ours.
  const { values, positionals, tokens } = parseArgs({ args: [...argv], options, strict: false, allowPositionals: true, tokens: true });
  const asked = new Set(tokens.flatMap((t) => (t.kind === "option" ? [t.name] : [])));
  if (asked.has("help")) return { kind: "help" };
  if (asked.has("version")) return { kind: "version" };

  const fail = (message: string, ...hints: string[]): never => {
    throw new InputError(message, [...hints, usageHint(spec)].join("\n  "));
  };
  const longNames = Object.keys(options).map((n) => `--${n}`);
  for (const t of tokens) {
    if (t.kind !== "option") continue;
    const config = Object.hasOwn(options, t.name) ? options[t.name] : undefined;
    if (!config || (t.rawName.length === 2 && t.rawName !== `-${config.short}`)) {
      const guess = t.rawName.startsWith("--") ? didYouMean(t.rawName, longNames) : undefined;
      fail(`unknown option ${t.rawName}${guess ? `; did you mean ${guess}?` : ""}`);
    } else if (config.type === "boolean" && t.value !== undefined) {
      fail(`${t.rawName} takes no value (got ${JSON.stringify(t.value)})`);
    } else if (config.type === "string" && (t.value === undefined || (!t.inlineValue && /^-(?!\d)/.test(t.value)))) {
      // `--out --keep`: parseArgs would take "--keep" as the directory. A negative number is a value.
      fail(`${t.rawName} needs a value${t.value === undefined ? "" : ` (got the option ${t.value})`}`);
    }
  }
  const p = spec.positionals;
  const [min, max] = p ? [p.min ?? 1, p.max ?? 1] : [0, 0];
  const valid = p?.choices ? `valid ${p.name}s: ${p.choices.join(", ")}` : undefined;
  for (const [i, value] of positionals.entries()) {
    if (i >= max) fail(`unexpected argument ${JSON.stringify(value)}`);
    if (p?.choices && !p.choices.includes(value)) {
      const guess = didYouMean(value, p.choices);
      fail(`unknown ${p.name} ${JSON.stringify(value)}${guess ? `; did you mean ${JSON.stringify(guess)}?` : ""}`, valid!);
    }
  }
  if (positionals.length < min) fail(`missing ${p!.name}${p!.choices ? ` (${orList(p!.choices)})` : ""}`);
  const own = Object.fromEntries(Object.entries(values).filter(([k]) => !Object.hasOwn(SHELL_OPTIONS, k)));
  return { kind: "args", values: own as OptionValues<O>, positionals };
}

const orList = (xs: readonly string[]): string => (xs.length > 1 ? `${xs.slice(0, -1).join(", ")} or ${xs.at(-1)}` : (xs[0] ?? ""));
const usageHint = (spec: CommandSpec<OptionsConfig, unknown>): string => `usage: ${spec.usage}   (--help describes every option)`;

/** An InputError thrown by `parse` gets the usage line under its hint (once). */
function withUsage(err: unknown, spec: CommandSpec<OptionsConfig, unknown>): unknown {
  if (!(err instanceof HarnessError) || err.code !== "E_INPUT" || err.hint?.includes("usage: ")) return err;
  return new InputError(err.message, err.hint ? `${err.hint}\n  ${usageHint(spec)}` : usageHint(spec), { cause: err });
}

/** The full `--help` text. */
export function renderHelp(spec: CommandSpec<OptionsConfig, unknown>): string {
  const rows = [...Object.entries(spec.optionHelp), ...Object.entries(SHELL_HELP)].map(([name, help]) => {
    const short = (spec.options[name] ?? SHELL_OPTIONS[name as keyof typeof SHELL_OPTIONS]).short;
    const [arg, text] = typeof help === "string" ? ["", help] : help;
    return [`${short ? `-${short}, ` : ""}--${name}${arg && !arg.startsWith("=") ? " " : ""}${arg}`, text] as const;
  });
  const width = Math.max(...rows.map(([flag]) => flag.length)) + 2;
  const table = rows.map(([flag, text]) => `  ${flag.padEnd(width)}${text.replace(/\n/g, `\n  ${" ".repeat(width)}`)}`).join("\n");
  return [`usage: ${spec.usage}`, spec.summary, `options:\n${table}`, ...(spec.epilog ? [spec.epilog] : [])].join("\n\n");
}

export interface ShellIo {
  /** Where `out`, --help and --version go. @default process.stdout */
  readonly stdout?: (text: string) => void;
  /** Where progress and errors go. @default process.stderr */
  readonly stderr?: (text: string) => void;
}

/**
 * The command's input from `argv` exactly as runCommand computes it, without running anything:
 * null when `--help` or `--version` was asked (answered through `stdout`). Throws the InputError
 * runCommand would report. For tests and for callers that only validate.
 */
export async function parseCommand<O extends OptionsConfig, I>(spec: CommandSpec<O, I>, argv: readonly string[], io: ShellIo = {}): Promise<I | null> {
  return (await resolve(spec, argv, io.stdout ?? ((text: string) => void process.stdout.write(text))))?.input ?? null;
}

async function resolve<O extends OptionsConfig, I>(spec: CommandSpec<O, I>, argv: readonly string[], stdout: (text: string) => void): Promise<{ args: CommandArgs<O>; input: I } | null> {
  const parsed = parseCommandLine(spec, argv);
  if (parsed.kind === "help") {
    stdout(`${renderHelp(spec)}\n`);
    return null;
  }
  if (parsed.kind === "version") {
    const v = harnessVersion();
    stdout(`${spec.name}: k8sm-ha-chaos ${v.version}, commit ${v.commit}\n`);
    return null;
  }
  const args: CommandArgs<O> = { values: parsed.values, positionals: parsed.positionals };
  try {
    return { args, input: spec.parse ? await spec.parse(args) : (args as I) };
  } catch (err) {
    throw withUsage(err, spec);
  }
}

export interface RunCommandOptions extends ShellIo {
  /** When the command started, in epoch ms (a wrapper that did a step before it: setup.sh). @default now */
  readonly startedAtMs?: number;
}

/** A standard stream that could not be written (its reader went away), and why. */
const brokenStreams = new Map<NodeJS.WriteStream, NodeJS.ErrnoException>();
const guardedStreams = new WeakSet<NodeJS.WriteStream>();

/**
 * A writer to process.stdout or process.stderr that never throws and never crashes the process: a
 * closed pipe (`| head`: EPIPE) or a closed terminal (EIO) marks the stream broken, and what is
 * written to it after that is dropped. Without the 'error' listener Node would crash on the first
 * such write, wherever in the run it happens (during the launch, mid-teardown) and leave the
 * topology behind; the listener also covers direct writes elsewhere (a late teardown step).
 */
export function safeWriter(stream: NodeJS.WriteStream): (text: string) => void {
  if (!guardedStreams.has(stream)) {
    guardedStreams.add(stream);
    stream.on("error", (err: NodeJS.ErrnoException) => void (brokenStreams.has(stream) || brokenStreams.set(stream, err)));
  }
  return (text) => {
    if (brokenStreams.has(stream) || stream.destroyed) return;
    try {
      stream.write(text);
    } catch (err) {
      brokenStreams.set(stream, err as NodeJS.ErrnoException);
    }
  };
}

/** Parses `argv` and runs the command; resolves with the exit code (never rejects). */
export async function runCommand<O extends OptionsConfig, I>(cmd: CommandDefinition<O, I>, argv: readonly string[], options: RunCommandOptions = {}): Promise<number> {
  const now = (): number => performance.timeOrigin + performance.now();
  const startedAt = options.startedAtMs ?? now();
  const stdout = options.stdout ?? safeWriter(process.stdout);
  const stderr = options.stderr ?? safeWriter(process.stderr);
  const ownStreams = (["stdout", "stderr"] as const).filter((n) => options[n] === undefined).map((n) => [n, process[n]] as const);
  const elapsedMs = (): number => now() - startedAt;
  const progress = (line: string): void => stderr(`[${formatClock(elapsedMs())}] ${line}\n`);

  let resolved: { args: CommandArgs<O>; input: I } | null;
  try {
    resolved = await resolve(cmd, argv, stdout);
    if (resolved === null) return 0;
  } catch (err) {
    stderr(`${formatError(err)}\n`);
    return exitCodeFor(err);
  }

  const controller = new AbortController();
  const teardown = new TeardownStack();
  const interrupts = installInterruptHandlers({ controller, teardown, log: progress });
  let cleanupHint = "what is left carries the label k8sm-chaos.run-id; `npm run reap` removes it once the Docker engine answers";
  let workDone = false;
  let code: number;
  // The event loop drained while the command still runs: something it awaits can never settle (a
  // bug). Node would exit 0 as if it had passed; fail instead, saying so.
  const drained = (): void => {
    stderr(`error [E_INTERNAL]: ${cmd.name} stopped with work still under way (it waited on something that can never happen: a bug); its reports may be incomplete\n  hint: ${cleanupHint}\n`);
    process.exitCode = 2;
  };
  process.once("beforeExit", drained);
  try {
    code = (await cmd.run({
      ...resolved,
      signal: controller.signal,
      teardown,
      progress,
      out: (text) => stdout(text.endsWith("\n") ? text : `${text}\n`),
      elapsedMs,
      setCleanupHint: (hint) => (cleanupHint = hint),
      workDone: () => void (workDone = true),
    })) ?? 0;
  } catch (err) {
    // After Ctrl-C, whatever the run threw on its way out is a consequence: say what happened.
    const shown = controller.signal.aborted ? controller.signal.reason : err;
    stderr(`${formatError(shown)}\n`);
    code = exitCodeFor(shown);
  }
  try {
    if (teardown.size > 0 || teardown.disposed) progress("cleaning up");
    await teardown.dispose();
  } catch (err) {
    // Which steps failed and why (the teardown names them), and what to do: no stack trace.
    stderr(`cleanup: ${err instanceof AggregateError ? err.message : formatError(err)}\n  hint: ${cleanupHint}\n`);
    if (code === 0) code = 2;
  } finally {
    // Kept through the cleanup: a teardown step that can never finish is the same bug.
    process.off("beforeExit", drained);
    interrupts.uninstall();
  }
  if (controller.signal.aborted && !workDone) return 130;
  // Output that could not be written is a failure the user must not take for a pass (the work and
  // its cleanup were done: a report on disk has what the output would have said). A write to a
  // closed pipe says so by an 'error' on a later tick: let it come first.
  await new Promise((resolve) => setImmediate(resolve));
  const lost = ownStreams.flatMap(([name, s]) => {
    const err = brokenStreams.get(s);
    return err ? [`${name} was closed (${err.code ?? err.message})`] : [];
  });
  if (lost.length && code === 0) {
    stderr(`output: ${lost.join(", ")}; what it would have said is lost (the report, if any, has it)\n`);
    code = 2;
  }
  return code;
}
