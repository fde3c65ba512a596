import { describe, expect, it } from "vitest";
import { GO_DURATION_ERRORS, GO_DURATION_PARSES, GO_DURATION_STRINGS } from "../testing/go-durations.js";
import { formatGoDuration, parseGoDurationMs } from "./go-duration.js";

// The emulations' copy (fixtures/emulations/common/duration.test.ts) runs the same table.
describe("Go durations (harness copy)", () => {
  it.each(GO_DURATION_STRINGS)("formats %s ms as Go's %s, which parses back", (ms, go) => {
    expect(formatGoDuration(ms)).toBe(go);
    expect(parseGoDurationMs(go)).toBe(ms);
  });

  it.each(GO_DURATION_PARSES)("parses %s as Go does", (go, ms) => {
    expect(parseGoDurationMs(go)).toBe(ms);
  });

  it.each(GO_DURATION_ERRORS)("rejects %j with Go's error", (go, error) => {
    expect(() => parseGoDurationMs(go)).toThrow(new Error(error));
  });

  it("rounds to Go's whole nanoseconds and refuses what is not a number", () => {
    expect(formatGoDuration(0.0000004)).toBe("0s");
    expect(formatGoDuration(1_000.0000006)).toBe("1.000000001s");
    expect(() => formatGoDuration(Number.NaN)).toThrow(RangeError);
  });
});
