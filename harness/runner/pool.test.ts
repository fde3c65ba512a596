import { describe, expect, it } from "vitest";
import { sleep } from "../async/index.js";
import { defaultParallelism, HandBack, runPool } from "./pool.js";

describe("runPool", () => {
  it("never runs more than `parallel` jobs at once, hands jobs to slots as they free up, and keeps the jobs' order", async () => {
    let running = 0;
    let peak = 0;
    const order: number[] = [];
    const entries = await runPool([30, 5, 5, 5, 20], { parallel: 2, signal: new AbortController().signal }, async (ms, slot) => {
      running++;
      peak = Math.max(peak, running);
      await sleep(ms);
      running--;
      order.push(ms);
      return { ms, slot };
    });
    expect(peak).toBe(2);
    expect(entries.map((e) => e.state)).toEqual(["done", "done", "done", "done", "done"]);
    expect(entries.map((e) => (e.state === "done" ? e.value.ms : null))).toEqual([30, 5, 5, 5, 20]);
    // The short jobs all went through slot 1 while slot 0 held the 30 ms job.
    expect(entries.slice(1, 4).map((e) => (e.state === "done" ? e.value.slot : null))).toEqual([1, 1, 1]);
  });

  it("records a job that throws and goes on with the others", async () => {
    const entries = await runPool([1, 2, 3], { parallel: 1, signal: new AbortController().signal }, async (n) => {
      if (n === 2) throw new Error("engine gone");
      return n;
    });
    expect(entries.map((e) => e.state)).toEqual(["done", "error", "done"]);
    expect(entries[1]).toMatchObject({ state: "error", error: { message: "engine gone" } });
  });

  it("starts nothing after an abort; the jobs under way see it through their signal and end", async () => {
    const ac = new AbortController();
    const settled: string[] = [];
    const entries = await runPool(
      ["a", "b", "c", "d"],
      { parallel: 2, signal: ac.signal, onSettled: (e) => void settled.push(e.state) },
      async (job, _slot, signal) => {
        if (job === "b") ac.abort(new Error("Ctrl-C"));
        await sleep(10_000, signal).catch(() => undefined);
        return job;
      },
    );
    expect(entries.map((e) => e.state)).toEqual(["done", "done", "not-run", "not-run"]);
    expect(settled).toEqual(["done", "done"]);
  });

  it("a job handed back goes to another slot (as the replacement given), and the slot that handed it back retires", async () => {
    // Slot 0 is a dying engine: its first job comes back with what is left of it (the trials still to run).
    const ranOn: Record<string, number[]> = {};
    const handedBack: string[] = [];
    const entries = await runPool(
      [{ id: "a", left: 5 }, { id: "b", left: 5 }, { id: "c", left: 5 }, { id: "d", left: 5 }],
      { parallel: 2, signal: new AbortController().signal, onHandBack: (h, job, slot) => void handedBack.push(`${job.id}@${slot}: ${h.message}`) },
      async (job, slot) => {
        (ranOn[job.id] ??= []).push(slot);
        if (slot === 0) {
          await sleep(20);
          throw new HandBack("engine gone", { ...job, left: 2 });
        }
        await sleep(5);
        return `${job.id}:${job.left}`;
      },
    );
    expect(handedBack).toEqual(["a@0: engine gone"]);
    expect(ranOn.a).toEqual([0, 1]);
    expect(Object.values(ranOn).flat().filter((s) => s === 0)).toHaveLength(1); // slot 0 took nothing after
    expect(entries.map((e) => (e.state === "done" ? e.value : e.state))).toEqual(["a:2", "b:5", "c:5", "d:5"]);
  });

  it("a slot with nothing queued waits for the jobs under way, since one may come back", async () => {
    // Slot 1 finishes its only job at once and finds the queue empty; slot 0's job comes back later.
    const entries = await runPool(["slow", "quick"], { parallel: 2, signal: new AbortController().signal }, async (job, slot) => {
      if (job === "slow" && slot === 0) {
        await sleep(30);
        throw new HandBack("engine gone");
      }
      return `${job}@${slot}`;
    });
    expect(entries.map((e) => (e.state === "done" ? e.value : e.state))).toEqual(["slow@1", "quick@1"]);
  });

  it("a job handed back finds a slot even when there are fewer jobs than slots (the others idle until then)", async () => {
    // One job, two slots: slot 0's engine dies under it; slot 1 had nothing to do until then.
    const entries = await runPool(["only"], { parallel: 2, signal: new AbortController().signal }, async (job, slot) => {
      if (slot === 0) throw new HandBack("engine gone");
      return `${job}@${slot}`;
    });
    expect(entries.map((e) => (e.state === "done" ? e.value : e.state))).toEqual(["only@1"]);
  });

  it("an onHandBack that throws rejects the pool (as onSettled does) once the other slots are done, never hangs a waiting slot", async () => {
    const entries = runPool(
      ["a", "b"],
      { parallel: 2, signal: new AbortController().signal, onHandBack: () => { throw new Error("log full"); } },
      async (job, slot) => {
        if (job === "a" && slot === 0) {
          await sleep(20);
          throw new HandBack("engine gone");
        }
        return `${job}@${slot}`;
      },
    );
    const outcome = await Promise.race([entries.then(() => "resolved", (e: Error) => e.message), sleep(2_000).then(() => "hung")]);
    expect(outcome).toBe("log full");
  });

  it("jobs left when every slot has retired are not-run", async () => {
    const entries = await runPool([1, 2, 3], { parallel: 2, signal: new AbortController().signal }, async () => {
      await sleep(5);
      throw new HandBack("engine gone");
    });
    expect(entries.map((e) => e.state)).toEqual(["not-run", "not-run", "not-run"]);
  });

  it("refuses a parallelism that is not a whole number ≥ 1", async () => {
    await expect(runPool([1], { parallel: 0, signal: new AbortController().signal }, async (n) => n)).rejects.toThrow(/parallel must be/);
  });
});

describe("defaultParallelism", () => {
  const GiB = 1024 ** 3;
  it("two topologies per core, as many as free memory carries, 1 to 8", () => {
    expect(defaultParallelism({ cpus: 2, freeBytes: 20 * GiB }).parallel).toBe(4);
    expect(defaultParallelism({ cpus: 2, freeBytes: 20 * GiB }).why).toMatch(/^2 cores × 2 = 4;/);
    expect(defaultParallelism({ cpus: 8, freeBytes: 64 * GiB }).parallel).toBe(8);
    expect(defaultParallelism({ cpus: 4, freeBytes: 3.5 * GiB }).parallel).toBe(3);
    expect(defaultParallelism({ cpus: 2, freeBytes: 1 * GiB })).toMatchObject({ parallel: 1, why: expect.stringMatching(/= 0; at most 8/) });
  });
});
