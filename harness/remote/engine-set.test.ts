import { describe, expect, it } from "vitest";
import { describeEngineSpecs, parseEngineSpecs } from "./engine-set.js";

const local = { parallel: 6, why: "2 cores × 3 = 6" };

describe("parseEngineSpecs (--engine URL[,parallel=N])", () => {
  it("none given: this host's engine alone, with --parallel or its default", () => {
    expect(parseEngineSpecs(undefined, { local })).toEqual([{ url: "local", target: null, parallel: 6, parallelWhy: "default: 2 cores × 3 = 6" }]);
    expect(parseEngineSpecs([], { parallel: 3, local })).toMatchObject([{ url: "local", parallel: 3, parallelWhy: "--parallel" }]);
  });

  it("several: each with its parallel=, else --parallel, else its default (another engine's: asked at start)", () => {
    const specs = parseEngineSpecs(["local,parallel=2", "unix:///tmp/e2/docker.sock", "tcp://build-3:2375, parallel=4"], { local });
    expect(specs.map((s) => [s.url, s.parallel, s.target?.scheme ?? null])).toEqual([
      ["local", 2, null],
      ["unix:///tmp/e2/docker.sock", null, "unix"],
      ["tcp://build-3:2375", 4, "tcp"],
    ]);
    expect(parseEngineSpecs(["unix:///tmp/e2/docker.sock", "local"], { parallel: 3, local }).map((s) => s.parallel)).toEqual([3, 3]);
    expect(describeEngineSpecs(specs).text).toBe("8 slot(s) over 3 engine(s): local × 2 (parallel=); unix:///tmp/e2/docker.sock × ? (asked at start; 2 assumed here); tcp://build-3:2375 × 4 (parallel=)");
    expect(describeEngineSpecs(parseEngineSpecs(undefined, { local })).text).toBe("--parallel 6 (default: 2 cores × 3 = 6)");
  });

  it.each([
    [["local,parallel=0"], /parallel must be 1\.\.32, got 0/],
    [["local,parallel=x"], /unknown parameter "parallel=x"/],
    [["local,cpus=2"], /unknown parameter "cpus=2"/],
    [[",parallel=2"], /no URL/],
    [["local", "local,parallel=2"], /--engine local is given twice/],
    [["unix:///a.sock/", "unix:///a.sock"], /--engine unix:\/\/\/a\.sock is given twice/],
    [["ftp://x:1"], /unknown scheme ftp/],
  ])("refuses %j", (values, message) => {
    expect(() => parseEngineSpecs(values, { local })).toThrow(message);
  });
});
