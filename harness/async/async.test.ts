import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it, vi } from "vitest";
import { request } from "undici";
import { VirtualClock } from "../testing/virtual-clock.js";
import { childController, isTimeoutReason, sleep, timeoutSignal, waitFor, WaitTimeoutError } from "./index.js";

describe("sleep", () => {
  it("waits at least the given time", async () => {
    const t0 = performance.now();
    await sleep(50);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(45);
  });

  it("rejects with the signal's reason when aborted, long before the time is up", async () => {
    // Fake timers: the abort must end the sleep while no time passes at all, and clear its timer.
    vi.useFakeTimers();
    try {
      const ac = new AbortController();
      const reason = new Error("stop now");
      let outcome: unknown = "pending";
      void sleep(60_000, ac.signal).then(() => (outcome = "resolved"), (e: unknown) => (outcome = e));
      await vi.advanceTimersByTimeAsync(20);
      expect(outcome).toBe("pending");
      ac.abort(reason);
      await vi.advanceTimersByTimeAsync(0);
      expect(outcome).toBe(reason);
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it("rejects at once for an already aborted signal, and for a negative time", async () => {
    await expect(sleep(10, AbortSignal.abort("gone"))).rejects.toBe("gone");
    await expect(sleep(-1)).rejects.toThrow(/`ms`/);
  });
});

describe("timeoutSignal", () => {
  it("aborts with a TimeoutError after the time", async () => {
    const s = timeoutSignal(20);
    await expect(sleep(60_000, s)).rejects.toSatisfy(isTimeoutReason);
  });

  it("aborts with the parent's reason when the parent aborts first", async () => {
    const parent = new AbortController();
    const s = timeoutSignal(60_000, parent.signal);
    parent.abort("parent went away");
    expect(s.aborted).toBe(true);
    expect(s.reason).toBe("parent went away");
    expect(isTimeoutReason(s.reason)).toBe(false);
  });
});

describe("childController", () => {
  it("aborts with its parent (the parent's reason), aborts alone without the parent, and after release no longer follows it", () => {
    const parent = new AbortController();
    const a = childController(parent.signal);
    const b = childController(parent.signal);
    b.controller.abort(new Error("own"));
    expect(parent.signal.aborted).toBe(false);
    const c = childController(parent.signal);
    c.release();
    parent.abort(new Error("Ctrl-C"));
    expect(a.signal.reason).toEqual(new Error("Ctrl-C"));
    expect(b.signal.reason).toEqual(new Error("own"));
    expect(c.signal.aborted).toBe(false);
    expect(childController(parent.signal).signal.aborted).toBe(true);
    expect(childController(undefined).signal.aborted).toBe(false);
  });
});

describe("waitFor", () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = undefined;
  });

  it("resolves with the first truthy value, retrying errors and false", async () => {
    let n = 0;
    const value = await waitFor(
      () => {
        n++;
        if (n === 1) throw new Error("not yet");
        return n >= 3 ? { n } : false;
      },
      { description: "n reaches 3", intervalMs: 1 },
    );
    expect(value).toEqual({ n: 3 });
  });

  it("names what was awaited and the last error when it times out", async () => {
    // A real refused connection: nothing listens on the port of a closed server.
    const s = createServer();
    await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
    const { port } = s.address() as AddressInfo;
    await new Promise<void>((r) => s.close(() => r()));
    const refused = await request(`http://127.0.0.1:${port}/`).catch((e: unknown) => e);
    // On a virtual clock the checks fit the timeout by count (at 0, 10, ..., 290 ms), however slow the machine.
    const clock = new VirtualClock();
    const err = await clock.run(
      waitFor(
        () => {
          throw refused;
        },
        { description: "the closed server answers", intervalMs: 10, timeoutMs: 300, clock },
      ).catch((e: unknown) => e),
    );
    expect(err).toBeInstanceOf(WaitTimeoutError);
    const w = err as WaitTimeoutError;
    expect(w.message).toMatch(/timed out after 300 ms \(30 checks\) waiting for the closed server answers; last error: .*ECONNREFUSED/);
    expect(w.attempts).toBe(30);
    expect(w.cause).toBe(refused);
    expect(w.lastError).toBe(refused);
  });

  it("does not wait for a hanging check past the timeout, and aborts it", async () => {
    let checkSignal: AbortSignal | undefined;
    server = createServer(() => {}); // accepts, never answers
    await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
    const { port } = server.address() as AddressInfo;
    // The check ignores its signal, so only waitFor itself can end the wait: on a virtual clock it
    // must give up at virtual 200 ms; awaiting the check would leave the clock with nothing to do.
    const clock = new VirtualClock();
    const wait = waitFor(
      async ({ signal }) => {
        checkSignal = signal;
        await request(`http://127.0.0.1:${port}/`);
        return true;
      },
      { description: "a server that never answers", timeoutMs: 200, clock },
    );
    await expect(clock.run(wait)).rejects.toBeInstanceOf(WaitTimeoutError);
    expect(clock.now()).toBe(200);
    expect(checkSignal?.aborted).toBe(true);
    server.closeAllConnections();
  });

  it("rejects with the caller's reason on abort, not with a timeout", async () => {
    const ac = new AbortController();
    const reason = new Error("interrupted");
    setTimeout(() => ac.abort(reason), 30);
    await expect(waitFor(() => false, { description: "never", signal: ac.signal, intervalMs: 5, timeoutMs: 60_000 })).rejects.toBe(reason);
  });

  it("validates its options", async () => {
    await expect(waitFor(() => true, { description: "x", intervalMs: -1 })).rejects.toThrow(/`intervalMs`/);
    await expect(waitFor(() => true, { description: "x", timeoutMs: 0 })).rejects.toThrow(/`timeoutMs`/);
  });
});
