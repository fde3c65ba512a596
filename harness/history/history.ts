import { performance } from "node:perf_hooks";
import { HarnessError } from "../errors.js";
import { ENTRY_KINDS, type EntryKind, type EntryOf, type EntryPayload, type HistoryEntry } from "./types.js";

/**
 * One trial's append-only history (Jepsen's model: every observation and fault, in one log).
 * Entries are frozen on record; there is no API to change or remove one. Probes that run
 * concurrently may record an observation a little after a later-stamped one, so `entries()`
 * returns them ordered by `t` (stable: equal `t` keeps recording order).
 */
export class History {
  readonly #entries: HistoryEntry[] = [];
  #sorted: readonly HistoryEntry[] | undefined;

  /**
   * @param originEpochMs epoch ms of the trial origin (t = 0)
   * @param originMonoMs the monotonic clock's reading at the origin; `now()` is measured from it
   * @param monotonic the monotonic clock, ms. @default `performance.now` (a test passes a virtual clock's)
   */
  constructor(
    readonly originEpochMs: number,
    readonly originMonoMs: number = performance.now(),
    readonly monotonic: () => number = () => performance.now(),
  ) {}

  /** A history whose origin is this instant of `clock` (default: the process's monotonic clock). */
  static start(clock: { now(): number; epochAt(mono: number): number } = { now: () => performance.now(), epochAt: (mono) => performance.timeOrigin + mono }): History {
    const mono = clock.now();
    return new History(clock.epochAt(mono), mono, () => clock.now());
  }

  /** ms since the origin, on the monotonic clock. */
  now(): number {
    return this.monotonic() - this.originMonoMs;
  }

  /** Appends an entry. A malformed entry is a harness bug: it throws instead of corrupting the record. */
  record(entry: HistoryEntry): void {
    const problem = entryProblem(entry);
    if (problem) throw new HarnessError("E_INTERNAL", `invalid history entry: ${problem}: ${JSON.stringify(entry)}`);
    this.#entries.push(Object.freeze({ ...entry }));
    this.#sorted = undefined;
  }

  /** Appends an entry stamped `now()`. Returns the stamp. */
  recordNow(payload: EntryPayload): number {
    const t = this.now();
    this.record({ ...payload, t } as HistoryEntry);
    return t;
  }

  /** Every entry, ordered by `t`. */
  entries(): readonly HistoryEntry[] {
    this.#sorted ??= Object.freeze(
      this.#entries.map((e, i) => [e, i] as const).sort((a, b) => a[0].t - b[0].t || a[1] - b[1]).map(([e]) => e),
    );
    return this.#sorted;
  }

  /** Epoch ms (e.g. an emulation event's `ts`) → ms on this trial's axis. */
  toTrialTime(epochMs: number): number {
    return epochMs - this.originEpochMs;
  }
}

/** Entries of one kind, in order. */
export function ofKind<K extends EntryKind>(entries: readonly HistoryEntry[], kind: K): EntryOf<K>[] {
  return entries.filter((e): e is EntryOf<K> => e.kind === kind);
}

/** Why an entry is malformed, or undefined when it is fine. Checks the common fields and `kind`. */
export function entryProblem(entry: unknown): string | undefined {
  if (typeof entry !== "object" || entry === null) return "not an object";
  const e = entry as { t?: unknown; kind?: unknown };
  if (typeof e.t !== "number" || !Number.isFinite(e.t)) return "`t` is not a finite number";
  if (typeof e.kind !== "string" || !(ENTRY_KINDS as readonly string[]).includes(e.kind)) {
    return `unknown kind ${JSON.stringify(e.kind)} (valid: ${ENTRY_KINDS.join(", ")})`;
  }
  return undefined;
}

/** The header line before each trial's entries in `history.ndjson`. */
export interface TrialHeader {
  trial: number;
  originEpochMs: number;
}

export interface SerializedTrialHistory extends TrialHeader {
  entries: readonly HistoryEntry[];
}

/**
 * ndjson: per trial, a header line `{"trial":0,"originEpochMs":...}` (no `kind`), then one line
 * per entry in `t` order, each led by its trial index (`{"trial":0,"t":12.5,"kind":...}`), so a
 * line taken out of the file (grep, jq) still says which trial it belongs to.
 */
export function historyToNdjson(trials: readonly SerializedTrialHistory[]): string {
  const lines: string[] = [];
  for (const tr of trials) {
    lines.push(JSON.stringify({ trial: tr.trial, originEpochMs: tr.originEpochMs } satisfies TrialHeader));
    for (const e of tr.entries) lines.push(JSON.stringify({ trial: tr.trial, ...e }));
  }
  return lines.length ? lines.join("\n") + "\n" : "";
}

/**
 * Parses what `historyToNdjson` wrote; the entries come back without `trial`. An entry line with a
 * `trial` goes to that trial's header (wherever it stood); one without (files written before entry
 * lines carried it) to the header above it. Throws `E_INPUT` naming the first bad line.
 */
export function historyFromNdjson(text: string): SerializedTrialHistory[] {
  const out: { trial: number; originEpochMs: number; entries: HistoryEntry[] }[] = [];
  const lines = text.split("\n");
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch (err) {
      throw new HarnessError("E_INPUT", `history line ${i + 1}: not JSON`, undefined, { cause: err });
    }
    const o = v as Record<string, unknown>;
    if (o && typeof o === "object" && !("kind" in o)) {
      if (typeof o.trial !== "number" || typeof o.originEpochMs !== "number") {
        throw new HarnessError("E_INPUT", `history line ${i + 1}: header needs numeric "trial" and "originEpochMs"`);
      }
      if (out.some((t) => t.trial === o.trial)) throw new HarnessError("E_INPUT", `history line ${i + 1}: a second header for trial ${o.trial}`);
      out.push({ trial: o.trial, originEpochMs: o.originEpochMs, entries: [] });
      return;
    }
    const problem = entryProblem(v);
    if (problem) throw new HarnessError("E_INPUT", `history line ${i + 1}: ${problem}`);
    const { trial, ...entry } = o;
    if (trial !== undefined && typeof trial !== "number") throw new HarnessError("E_INPUT", `history line ${i + 1}: "trial" is not a number`);
    const current = trial === undefined ? out.at(-1) : out.find((t) => t.trial === trial);
    if (!current) {
      throw new HarnessError("E_INPUT", `history line ${i + 1}: entry before ${trial === undefined ? "any trial header" : `the header of trial ${trial}`}`);
    }
    current.entries.push(entry as unknown as HistoryEntry);
  });
  return out;
}
