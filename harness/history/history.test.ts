import { describe, expect, it } from "vitest";
import { History, historyFromNdjson, historyToNdjson, ofKind } from "./history.js";

describe("History", () => {
  it("records entries append-only, frozen, ordered by t", () => {
    const h = new History(1_000_000, 0);
    h.record({ t: 20, kind: "note", text: "b" });
    h.record({ t: 10, kind: "note", text: "a" });
    h.record({ t: 20, kind: "phase", name: "observe" });
    expect(h.entries().map((e) => e.t)).toEqual([10, 20, 20]);
    expect(h.entries()[1]).toMatchObject({ kind: "note", text: "b" });
    expect(Object.isFrozen(h.entries()[0])).toBe(true);
    expect(() => (h.entries() as unknown as unknown[]).push({})).toThrow();
    expect(ofKind(h.entries(), "phase")).toHaveLength(1);
    expect(h.toTrialTime(1_000_500)).toBe(500);
  });

  it("stamps with the monotonic clock", () => {
    let mono = 7_000;
    const h = History.start({ now: () => mono, epochAt: (m) => 1_700_000_000_000 + m });
    expect(h.originEpochMs).toBe(1_700_000_007_000);
    mono = 7_250;
    expect(h.recordNow({ kind: "scheduler-health", node: "master-1", up: true })).toBe(250);
    expect(h.entries()[0]).toMatchObject({ t: 250, kind: "scheduler-health" });
    // The default clock is the process's: a stamp lies between two readings taken around it.
    const before = performance.now();
    const d = History.start();
    const t = d.recordNow({ kind: "note", text: "x" });
    const elapsed = performance.now() - before;
    expect(t).toBeGreaterThanOrEqual(0);
    expect(t).toBeLessThanOrEqual(elapsed);
    expect(d.originEpochMs).toBeGreaterThanOrEqual(performance.timeOrigin + before);
    expect(d.originEpochMs).toBeLessThanOrEqual(performance.timeOrigin + before + elapsed);
  });

  it("rejects malformed entries", () => {
    const h = new History(0, 0);
    expect(() => h.record({ t: Number.NaN, kind: "note", text: "x" })).toThrow(/finite/);
    expect(() => h.record({ t: 1, kind: "bogus" } as never)).toThrow(/unknown kind "bogus"/);
  });

  it("round-trips ndjson with a header per trial and the trial index on every line, and names the bad line", () => {
    const a = new History(5, 0);
    a.record({ t: 1, kind: "fault", name: "kill-leader", action: "inject", targets: ["master-1"] });
    const b = new History(9, 0);
    b.record({ t: 2, kind: "etcd-key", key: "/scheduler", value: null });
    const text = historyToNdjson([
      { trial: 0, originEpochMs: 5, entries: a.entries() },
      { trial: 1, originEpochMs: 9, entries: b.entries() },
    ]);
    const lines = text.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => [l.trial, l.kind ?? "header"])).toEqual([[0, "header"], [0, "fault"], [1, "header"], [1, "etcd-key"]]);
    const back = historyFromNdjson(text);
    expect(back.map((t) => [t.trial, t.originEpochMs, t.entries.length])).toEqual([[0, 5, 1], [1, 9, 1]]);
    expect(back[1]!.entries[0]).toEqual({ t: 2, kind: "etcd-key", key: "/scheduler", value: null });
    expect(() => historyFromNdjson('{"t":1,"kind":"note","text":"x"}')).toThrow(/line 1: entry before any trial header/);
    expect(() => historyFromNdjson('{"trial":0,"originEpochMs":1}\n{oops')).toThrow(/line 2: not JSON/);
    expect(() => historyFromNdjson('{"trial":0,"originEpochMs":1}\n{"trial":3,"t":1,"kind":"note","text":"x"}')).toThrow(/line 2: entry before the header of trial 3/);
    expect(() => historyFromNdjson('{"trial":0,"originEpochMs":1}\n{"trial":"0","t":1,"kind":"note","text":"x"}')).toThrow(/line 2: "trial" is not a number/);
    expect(() => historyFromNdjson('{"trial":0,"originEpochMs":1}\n{"trial":0,"originEpochMs":2}')).toThrow(/line 2: a second header for trial 0/);
  });

  it("an entry line goes to its own trial's header; files without per-line trial still parse", () => {
    const interleaved = ['{"trial":0,"originEpochMs":5}', '{"trial":1,"originEpochMs":9}', '{"trial":0,"t":1,"kind":"note","text":"a"}', '{"trial":1,"t":2,"kind":"note","text":"b"}'].join("\n");
    expect(historyFromNdjson(interleaved).map((t) => t.entries.map((e) => e.t))).toEqual([[1], [2]]);
    const old = ['{"trial":0,"originEpochMs":5}', '{"t":1,"kind":"note","text":"a"}', '{"trial":1,"originEpochMs":9}', '{"t":2,"kind":"note","text":"b"}'].join("\n");
    expect(historyFromNdjson(old)).toEqual([
      { trial: 0, originEpochMs: 5, entries: [{ t: 1, kind: "note", text: "a" }] },
      { trial: 1, originEpochMs: 9, entries: [{ t: 2, kind: "note", text: "b" }] },
    ]);
  });
});
