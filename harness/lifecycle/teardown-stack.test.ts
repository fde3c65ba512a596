import { describe, expect, it } from "vitest";
import { sleep } from "../async/sleep.js";
import { TeardownStack } from "./teardown-stack.js";

describe("TeardownStack", () => {
  it("runs steps last-in first-out and awaits each one", async () => {
    const order: string[] = [];
    const stack = new TeardownStack();
    stack.defer(async () => {
      await sleep(5);
      order.push("network");
    }, "network");
    stack.defer(async () => {
      await sleep(20);
      order.push("etcd");
    }, "etcd");
    stack.defer(() => order.push("nginx"), "nginx");
    await stack.dispose();
    expect(order).toEqual(["nginx", "etcd", "network"]);
    expect(stack.size).toBe(0);
  });

  it("runs every step when some throw, then throws an AggregateError naming them", async () => {
    const ran: string[] = [];
    const stack = new TeardownStack();
    stack.defer(() => ran.push("a"), "step a");
    stack.defer(() => {
      throw new Error("boom b");
    }, "step b");
    stack.defer(() => ran.push("c"), "step c");
    stack.defer(async () => Promise.reject(new Error("boom d")), "step d");
    const err = await stack.dispose().catch((e: unknown) => e);
    expect(ran).toEqual(["c", "a"]);
    expect(err).toBeInstanceOf(AggregateError);
    const agg = err as AggregateError;
    expect(agg.errors.map((e: Error) => e.message)).toEqual(["step d: boom d", "step b: boom b"]);
    expect(agg.message).toBe("teardown: 2 of 4 steps failed: step d: boom d; step b: boom b");
  });

  it("is idempotent: a second dispose returns the same outcome and runs nothing again", async () => {
    let n = 0;
    const stack = new TeardownStack();
    stack.defer(() => n++, "count");
    const first = stack.dispose();
    const second = stack[Symbol.asyncDispose]();
    expect(second).toBe(first);
    await first;
    await stack.dispose();
    expect(n).toBe(1);
  });

  it("use() disposes async and sync disposables and returns them", async () => {
    const log: string[] = [];
    const stack = new TeardownStack();
    const a = stack.use({ name: "a", [Symbol.asyncDispose]: async () => void log.push("a") });
    stack.use({ [Symbol.dispose]: () => void log.push("b") });
    expect(a.name).toBe("a");
    await stack.dispose();
    expect(log).toEqual(["b", "a"]);
  });

  it("runs steps added during disposal, and runs late steps at once", async () => {
    const log: string[] = [];
    const stack = new TeardownStack();
    stack.defer(async () => {
      await sleep(10);
      log.push("first");
    }, "first");
    stack.defer(() => {
      stack.defer(() => log.push("added during"), "added during");
      log.push("second");
    }, "second");
    await stack.dispose();
    expect(log).toEqual(["second", "added during", "first"]);
    stack.defer(() => log.push("late"), "late");
    expect(log.at(-1)).toBe("late");
  });

  it("works with await using", async () => {
    const log: string[] = [];
    {
      await using stack = new TeardownStack();
      stack.defer(() => log.push("cleaned"), "clean");
      log.push("body");
    }
    expect(log).toEqual(["body", "cleaned"]);
  });
});
