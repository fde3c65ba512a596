/** `npm run bench` options: validated before any container starts; bad input is an InputError (exit 2). */
import { parseArgs } from "node:util";
import { intOption, writableDirOption } from "../cli/args.js";
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
  const trials = intOption("trials", values.trials, BENCH_DEFAULTS.trials, 1, 200, BENCH_USAGE);
  const upSamples = intOption("up-samples", values["up-samples"], BENCH_DEFAULTS.upSamples, 1, 20, BENCH_USAGE);
  const outDir = await writableDirOption("out", values.out, defaultOutDir);
  return { trials, upSamples, outDir };
}
