/**
 * Go's own duration text, for the tests of the two copies of the Go-duration code (the harness's
 * harness/topology/go-duration.ts and the emulations' fixtures/emulations/common/duration.ts): one
 * table, so the copies cannot drift apart. Values are in ms, the unit both use.
 *
 * The rows marked "Go's test" are Go's own test tables in src/time/time_test.go (durationTests,
 * parseDurationTests, parseDurationErrorTests), less the int64 extremes a float64 ms cannot hold
 * exactly; the others follow Duration.String()'s rules: seconds always shown from 1 s up, minutes
 * once there are minutes, hours once there are hours, below 1 s the largest of ms/µs/ns that keeps
 * an integer part, fractions without trailing zeros.
 */

/** `Duration(ms).String()` in Go; each also parses back to `ms`. */
export const GO_DURATION_STRINGS: readonly (readonly [ms: number, go: string])[] = [
  // Go's test (TestDurationString), and the same negated, as it checks too.
  [0, "0s"],
  [0.000001, "1ns"],
  [0.0011, "1.1µs"],
  [2.2, "2.2ms"],
  [3_300, "3.3s"],
  [245_000, "4m5s"],
  [245_001, "4m5.001s"],
  [18_367_001, "5h6m7.001s"],
  [480_000.000001, "8m0.000000001s"],
  [-0.000001, "-1ns"],
  [-0.0011, "-1.1µs"],
  [-2.2, "-2.2ms"],
  [-3_300, "-3.3s"],
  [-245_001, "-4m5.001s"],
  [-18_367_001, "-5h6m7.001s"],
  // Whole minutes and hours keep their zero seconds (not `1m`, `1h`).
  [60_000, "1m0s"],
  [3_600_000, "1h0m0s"],
  [3_660_000, "1h1m0s"],
  [86_400_000, "24h0m0s"],
  [150_000, "2m30s"],
  [90_000, "1m30s"],
  [3_723_500, "1h2m3.5s"],
  [1_000, "1s"],
  [1_500, "1.5s"],
  [20_000, "20s"],
  [60_500, "1m0.5s"],
  // Below a second.
  [500, "500ms"],
  [999, "999ms"],
  [999.999, "999.999ms"],
  [1.5, "1.5ms"],
  [1, "1ms"],
  [0.5, "500µs"],
  [0.001, "1µs"],
  [0.000999, "999ns"],
];

/** `time.ParseDuration(text)` in Go, in ms (Go's test: parseDurationTests). */
export const GO_DURATION_PARSES: readonly (readonly [go: string, ms: number])[] = [
  ["0", 0],
  ["5s", 5_000],
  ["30s", 30_000],
  ["1478s", 1_478_000],
  ["-5s", -5_000],
  ["+5s", 5_000],
  ["-0", 0],
  ["+0", 0],
  ["5.0s", 5_000],
  ["5.6s", 5_600],
  ["5.s", 5_000],
  [".5s", 500],
  ["1.0s", 1_000],
  ["1.00s", 1_000],
  ["1.004s", 1_004],
  ["1.0040s", 1_004],
  ["100.00100s", 100_001],
  ["10ns", 0.00001],
  ["11us", 0.011],
  ["12µs", 0.012], // U+00B5
  ["12μs", 0.012], // U+03BC
  ["13ms", 13],
  ["14s", 14_000],
  ["15m", 900_000],
  ["16h", 57_600_000],
  ["3h30m", 12_600_000],
  ["10.5s4m", 250_500],
  ["-2m3.4s", -123_400],
  ["1h2m3s4ms5us6ns", 3_723_004.005006],
  ["39h9m14.425s", 140_954_425],
  ["52763797000ns", 52_763.797],
  ["0.3333333333333333333h", 1_200_000],
  ["0.100000000000000000000h", 360_000],
  ["0.830103483285477580700h", 2_988_372.539827],
];

/** `time.ParseDuration(text)` fails in Go with exactly this error (Go's test: parseDurationErrorTests, and the unit errors). */
export const GO_DURATION_ERRORS: readonly (readonly [go: string, error: string])[] = [
  ["", 'time: invalid duration ""'],
  ["3", 'time: missing unit in duration "3"'],
  ["-", 'time: invalid duration "-"'],
  ["s", 'time: invalid duration "s"'],
  [".", 'time: invalid duration "."'],
  ["-.", 'time: invalid duration "-."'],
  [".s", 'time: invalid duration ".s"'],
  ["+.s", 'time: invalid duration "+.s"'],
  ["1d", 'time: unknown unit "d" in duration "1d"'],
  ["5x", 'time: unknown unit "x" in duration "5x"'],
  ["1m30", 'time: missing unit in duration "1m30"'],
  [" 5s", 'time: invalid duration " 5s"'],
  ["5µ", 'time: unknown unit "\\xc2\\xb5" in duration "5\\xc2\\xb5"'],
  ["9223372036854775810ns", 'time: invalid duration "9223372036854775810ns"'],
  ["9223372036854775808ns", 'time: invalid duration "9223372036854775808ns"'],
  ["-9223372036854775809ns", 'time: invalid duration "-9223372036854775809ns"'],
  ["9223372036854776us", 'time: invalid duration "9223372036854776us"'],
  ["3000000h", 'time: invalid duration "3000000h"'],
  ["9223372036854775.808us", 'time: invalid duration "9223372036854775.808us"'],
  ["9223372036854ms775us808ns", 'time: invalid duration "9223372036854ms775us808ns"'],
];
