/** `npm run bench` options: validated before any container starts; bad input is an InputError (exit 2). */
import { constants } from "node:fs";
import { access, mkdir } from "node:fs/promises";
import path from "node:path";
import { parseArgs } from "node:util";
import { InputError } from "../errors.js";

export const BENCH_USAGE = `usage: npm run bench -- [options]

Benchmarks the harness itself on kill-leader, fast profile (takes several minutes).

options:
  --trials N        kill-leader trials on one topology (default 10; 1..200; probeErrorMs wants at least 10)
  --up-samples N    topology launches timed for topologyUpMs, the trial run's launch included (default 3; 1..20)
  --out DIR         bench reports root; writes DIR/<run-id>/bench.json (default reports/bench)
  -h, --help        this text
`;

export interface BenchOptions {
  trials: number;
  upSamples: number;
  /** Absolute; created and checked writable. */
  outDir: string;
}

export const BENCH_DEFAULTS = { trials: 10, upSamples: 3 } as const;

function int(name: string, raw: string | undefined, def: number, min: number, max: number): number {
  if (raw === undefined) return def;
  if (!/^\d+$/.test(raw.trim())) throw new InputError(`--${name} must be a whole number, got "${raw}"`, BENCH_USAGE);
  const n = Number(raw);
  if (n < min || n > max) throw new InputError(`--${name} must be between ${min} and ${max}, got ${n}`, BENCH_USAGE);
  return n;
}

/** Null for --help (already printed through `out`). */
export async function parseBenchArgs(argv: readonly string[], defaultOutDir: string, out: (s: string) => void): Promise<BenchOptions | null> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        trials: { type: "string" },
        "up-samples": { type: "string" },
        out: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (err) {
    throw new InputError((err as Error).message, BENCH_USAGE);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    out(BENCH_USAGE);
    return null;
  }
  if (positionals.length) throw new InputError(`unexpected argument(s): ${positionals.join(" ")} (the bench always runs kill-leader)`, BENCH_USAGE);
  const trials = int("trials", values.trials, BENCH_DEFAULTS.trials, 1, 200);
  const upSamples = int("up-samples", values["up-samples"], BENCH_DEFAULTS.upSamples, 1, 20);
  if (values.out !== undefined && values.out.trim() === "") throw new InputError("--out must not be empty", BENCH_USAGE);
  const outDir = path.resolve(values.out ?? defaultOutDir);
  try {
    await mkdir(outDir, { recursive: true });
    await access(outDir, constants.W_OK);
  } catch (err) {
    throw new InputError(`--out ${outDir} is not a writable directory (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, "choose a directory you can write to");
  }
  return { trials, upSamples, outDir };
}
