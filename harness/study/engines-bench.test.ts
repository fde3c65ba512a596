/**
 * The engines bench's pure parts, without Docker: its options, and a level's row (per engine: runs,
 * trials, median batch wall, probe error p95, failed batches) from a study log; the separate-hosts
 * estimate from the measured batch walls.
 */
import { describe, expect, it } from "vitest";
import type { EngineUse } from "../remote/engine-set.js";
import { levelRow, parseEnginesBenchValues, readingOf, renderEnginesTable, separateHostsEstimate, withSpeedups } from "./engines-bench.js";
import type { LogRecord } from "./log.js";

const E2 = "unix:///tmp/k8sm-e2-x/docker.sock";

function trial(runId: string, trialIndex: number, engine: string, more: { complete?: boolean; arm?: "failover" | "false-failover" } = {}): LogRecord {
  return { kind: "trial", arm: more.arm ?? "failover", cell: "ttl-secs=6", values: { "ttl-secs": "6" }, replicate: 1, runId, batchOrdinal: 0, seed: 1, trialIndex, offsetMs: 0, complete: more.complete ?? true, engine, parallel: 2 } as unknown as LogRecord;
}
function batch(runId: string, engine: string, wallMs: number, status: "completed" | "failed" = "completed"): LogRecord {
  return { kind: "batch", arm: "failover", cell: "ttl-secs=6", runId, ordinal: 0, seed: 1, repeat: 2, status, startedAt: "", finishedAt: "", wallMs, parallel: 2, engine };
}
function validation(runId: string, errs: (number | null)[]): LogRecord {
  return { kind: "validation", runId, parallel: 2, trials: errs.map((e, index) => ({ index, errorMs: { timeToNewSchedulerMs: e } })) };
}
const use = (url: string, runs: number, lost = false): EngineUse => ({ url, parallel: 1, parallelWhy: "parallel=", runs, trials: 0, lost: lost ? { at: "", reason: "", runIds: [] } : null });

describe("parseEnginesBenchValues", () => {
  it("defaults: a second engine started here, 1 slot per engine, 2 batches per slot of 2 trials", () => {
    expect(parseEnginesBenchValues({})).toEqual({ engine: null, perEngine: 1, batchesPerSlot: 2, batchSize: 2 });
  });
  it("takes a second engine's URL (normalized) and the sizes", () => {
    expect(parseEnginesBenchValues({ engine: "tcp://h:2375/", "per-engine": "2", "batches-per-slot": "3", "batch-size": "1" })).toEqual({ engine: "tcp://h:2375", perEngine: 2, batchesPerSlot: 3, batchSize: 1 });
  });
  it("refuses local, a URL with parameters, a bad URL and out-of-range sizes", () => {
    expect(() => parseEnginesBenchValues({ engine: "local" })).toThrow(/second engine's URL alone/);
    expect(() => parseEnginesBenchValues({ engine: `${E2},parallel=2` })).toThrow(/second engine's URL alone/);
    expect(() => parseEnginesBenchValues({ engine: "ftp://h" })).toThrow(/unknown scheme/);
    expect(() => parseEnginesBenchValues({ "per-engine": "0" })).toThrow(/per-engine/);
    expect(() => parseEnginesBenchValues({ "batch-size": "x" })).toThrow(/batch-size/);
  });
});

describe("levelRow", () => {
  const records: LogRecord[] = [
    trial("a", 0, "local"), trial("a", 1, "local"), batch("a", "local", 100_000), validation("a", [-40, 10]),
    trial("c", 0, "local"), trial("c", 1, "local"), batch("c", "local", 140_000), validation("c", [20, null]),
    trial("b", 0, E2), trial("b", 1, E2, { complete: false }), batch("b", E2, 130_000), validation("b", [5, 900]),
    batch("d", E2, 3_000, "failed"),
    trial("f", 0, "local", { arm: "false-failover" }),
  ];
  const row = levelRow("2 engines", records, [use("local", 2), use(E2, 2)], { wallMs: 360_000, prepareMs: 30_000 }, "/x");

  it("counts complete failover trials over the study's wall, per engine and in all", () => {
    expect(row).toMatchObject({ level: "2 engines", slots: 2, trials: 5, wallMs: 360_000, prepareMs: 30_000, speedup: null });
    expect(row.trialsPerHour).toBeCloseTo(50);
    expect(row.engines.map((e) => [e.url, e.runs, e.trials, e.failedBatches])).toEqual([["local", 2, 4, 0], [E2, 2, 1, 1]]);
  });
  it("takes each engine's median completed batch wall and |probe error| p95 of its own trials", () => {
    expect(row.engines[0]!.medianBatchWallMs).toBe(120_000);
    expect(row.engines[1]!.medianBatchWallMs).toBe(130_000);
    // |−40|, 10, 20 → p95 (type 7) = 20 + 0.9 × (40 − 20); the cut-short trial's 900 is not the remote's.
    expect(row.engines[0]!.probeErrorP95Ms).toBeCloseTo(38);
    expect(row.engines[1]!.probeErrorP95Ms).toBe(5);
  });
  it("speedups against the first level; the separate-hosts estimate from the batch walls", () => {
    const one = levelRow("1 engine", records.filter((r) => r.kind !== "trial" || r.engine === "local").filter((r) => r.kind !== "batch" || r.engine === "local"), [use("local", 2)], { wallMs: 480_000, prepareMs: 0 }, "/y");
    const rows = withSpeedups([one, row]);
    expect(rows[0]!.speedup).toBe(1);
    expect(rows[1]!.speedup).toBeCloseTo(50 / 30);
    // m = 120 s alone; overhead = 130 − 120 = 10 s: 1 + 120/130.
    const est = separateHostsEstimate(rows)!;
    expect(est).toMatchObject({ localBatchMs: 120_000, remoteOverheadMs: 10_000 });
    expect(est.expectedSpeedup).toBeCloseTo(1 + 120 / 130);
    const text = readingOf(rows, est, true);
    expect(text).toMatch(/adds 1 slot\(s\) but no CPU, so the speedup 1\.67/);
    expect(text).toMatch(/≈ 1\.92/);
    expect(renderEnginesTable(rows)).toMatch(/second ×1/);
    expect(separateHostsEstimate([one])).toBeNull();
  });
});
