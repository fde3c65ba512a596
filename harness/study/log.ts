/**
 * The study's trial log, `trials.ndjson`: one JSON line per finished trial (and one per batch, and
 * one per batch's probe validation), appended as each ends. Each line is one `write` followed by
 * an `fsync`, so a study killed at any moment (SIGKILL included) leaves every line it reported
 * whole, and at most the last one torn: `readLog` drops a torn last line (and truncates it away,
 * so the next append starts on a fresh line). A resumed study recomputes what remains from it.
 */
import { open, readFile, truncate } from "node:fs/promises";
import { HarnessError } from "../errors.js";
import type { Measures } from "../measures/measures.js";
import type { Verdict } from "../checks/checks.js";
import type { Arm } from "./design.js";

export interface TrialRecord {
  readonly kind: "trial";
  readonly arm: Arm;
  /** The cell's key (`ttl-secs=10,sleep=1s`) and its factor values. */
  readonly cell: string;
  readonly values: Readonly<Record<string, string>>;
  /** 1-based, per cell and arm, in the order trials finished; null for a trial cut short (not counted). */
  readonly replicate: number | null;
  /** The batch (one run, one topology) it ran in. */
  readonly runId: string;
  readonly batchOrdinal: number;
  /** The batch's seed (seeds every trial's phase of that run). */
  readonly seed: number;
  /** Its index in the run (0-based): later trials of a run follow earlier ones on the same topology. */
  readonly trialIndex: number;
  /** The fault's random phase offset, ms; null when no fault was fired. */
  readonly offsetMs: number | null;
  readonly measures: Measures;
  readonly verdict: Verdict;
  /** Check name → verdict. */
  readonly checks: Readonly<Record<string, Verdict>>;
  /** False when the trial was cut short (Ctrl-C, a harness failure): kept for the record, not counted, run again on resume. */
  readonly complete: boolean;
  /** False-failover arm: whether a failover happened (a new scheduler pid, or a new leader key holder); null if no fault fired. */
  readonly failover: boolean | null;
  /** Its run's report, relative to the study folder. */
  readonly report: string;
  /** How many batches ran at once when it ran (the slots over all engines). */
  readonly parallel: number;
  /** The engine it ran on (`local` or its URL; absent in logs from before engines). */
  readonly engine?: string;
  readonly finishedAt: string;
}

export interface BatchRecord {
  readonly kind: "batch";
  readonly arm: Arm;
  readonly cell: string;
  readonly runId: string;
  readonly ordinal: number;
  readonly seed: number;
  readonly repeat: number;
  /** `engine-lost`: its engine died under it; the trials it had not logged ran on another engine. */
  readonly status: "completed" | "failed" | "interrupted" | "engine-lost";
  readonly error?: { code: string; message: string };
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly wallMs: number;
  readonly parallel: number;
  readonly engine?: string;
}

/** Probe vs ground truth for a batch's trials (read from its container logs once the run is over). */
export interface ValidationRecord {
  readonly kind: "validation";
  readonly runId: string;
  readonly parallel: number;
  /** Per trial index: the probe's error per validated measure, ms (probe − truth), null when either is missing. */
  readonly trials: readonly { readonly index: number; readonly errorMs: Readonly<Record<string, number | null>> }[];
  readonly note?: string;
}

export type LogRecord = TrialRecord | BatchRecord | ValidationRecord;

/** Appends records one `write` + `fsync` at a time, in call order (slots of the pool append concurrently). */
export class TrialLog {
  #tail: Promise<void> = Promise.resolve();
  constructor(readonly file: string) {}

  append(record: LogRecord): Promise<void> {
    const line = `${JSON.stringify(record)}\n`;
    const next = this.#tail.then(async () => {
      const fh = await open(this.file, "a");
      try {
        await fh.write(line);
        await fh.sync();
      } finally {
        await fh.close();
      }
    });
    // A failed append fails its caller; the next one still tries.
    this.#tail = next.catch(() => {});
    return next.catch((err: NodeJS.ErrnoException) => {
      throw new HarnessError(err.code === "ENOSPC" ? "E_DISK_FULL" : "E_REPORT", `cannot append to ${this.file}: ${err.code ?? err.message}`, "free disk space, then continue with --resume");
    });
  }
}

/**
 * The records of a log, in order. A last line without its newline, or that is not JSON, was torn by
 * a kill: it is dropped and truncated away (`dropped` says so). A bad line before the last is
 * corruption, not a kill: an error.
 */
export async function readLog(file: string, opts: { repair?: boolean } = {}): Promise<{ records: LogRecord[]; dropped: string | null }> {
  const text = await readFile(file, "utf8").catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT") return "";
    throw err;
  });
  const records: LogRecord[] = [];
  let dropped: string | null = null;
  let goodBytes = 0;
  const lines = text.split("\n");
  const last = lines.pop()!; // text after the last newline: "" for a whole file
  for (const [i, line] of lines.entries()) {
    if (line.trim()) {
      try {
        records.push(JSON.parse(line) as LogRecord);
      } catch {
        if (i === lines.length - 1 && !last) {
          dropped = line;
          break;
        }
        throw new HarnessError("E_REPORT", `${file}: line ${i + 1} is not JSON (and is not the last: not a torn write)`, "the log was edited or corrupted; remove the bad line, then --resume");
      }
    }
    goodBytes += Buffer.byteLength(line) + 1;
  }
  if (last) dropped = last;
  if (dropped !== null && opts.repair) await truncate(file, goodBytes);
  return { records, dropped };
}
