/**
 * Go's duration text, in ms (the harness's unit): the flags it writes into manifests and command
 * lines (`--sleep=5s`, `--sync-frequency=1m0s`) and the `--set` values it reads, exactly as Go's
 * `time` package writes and reads them.
 *
 * The emulations hold the same code in fixtures/emulations/common/duration.ts (they cannot import
 * the harness: layer rule); both are tested against one table of Go's outputs,
 * harness/testing/go-durations.ts. Change the two together.
 */
const NS_PER_UNIT: Readonly<Record<string, bigint>> = {
  ns: 1n, us: 1_000n, "µs": 1_000n, "μs": 1_000n, ms: 1_000_000n, s: 1_000_000_000n, m: 60_000_000_000n, h: 3_600_000_000_000n,
};
/** 2^63: a Duration is an int64 of nanoseconds. */
const MAX_NS = 1n << 63n;
const NS_PER_S = 1_000_000_000n;

/**
 * Go's `Duration.String()` of `ms` milliseconds, rounded to whole nanoseconds as Go holds them:
 * 60000 → `1m0s`, 3600000 → `1h0m0s`, 1500 → `1.5s`, 0.5 → `500µs`, 0 → `0s`.
 */
export function formatGoDuration(ms: number): string {
  if (!Number.isFinite(ms)) throw new RangeError(`not a duration: ${ms} ms`);
  let ns = BigInt(Math.round(ms * 1e6));
  const neg = ns < 0n;
  if (neg) ns = -ns;
  let text: string;
  if (ns === 0n) return "0s";
  if (ns < NS_PER_S) {
    // Below a second: the largest unit that keeps an integer part (1.2ms, 1.1µs, 5ns).
    text = ns < 1_000n ? `${ns}ns` : ns < 1_000_000n ? `${decimal(ns, 1_000n)}µs` : `${decimal(ns, 1_000_000n)}ms`;
  } else {
    // From a second: always the seconds, minutes once there are any, hours once there are any.
    const minutes = ns / (60n * NS_PER_S);
    const seconds = `${decimal(ns % (60n * NS_PER_S), NS_PER_S)}s`;
    text = minutes === 0n ? seconds : minutes < 60n ? `${minutes}m${seconds}` : `${minutes / 60n}h${minutes % 60n}m${seconds}`;
  }
  return neg ? `-${text}` : text;
}

/** `value / per` in decimal without trailing zeros (Go's fmtFrac + fmtInt). */
function decimal(value: bigint, per: bigint): string {
  const frac = value % per;
  if (frac === 0n) return `${value / per}`;
  return `${value / per}.${`${frac}`.padStart(`${per}`.length - 1, "0").replace(/0+$/, "")}`;
}

/**
 * Go's `time.ParseDuration`, in ms: `1m30s` → 90000, `.5s`, `-1.5h`, `12µs`, `0`; throws Go's
 * error text (`time: missing unit in duration "5"`). No trimming: Go takes the text as it is.
 */
export function parseGoDurationMs(text: string): number {
  const invalid = (): Error => new Error(`time: invalid duration ${goQuote(text)}`);
  let s = text;
  let neg = false;
  if (s[0] === "-" || s[0] === "+") {
    neg = s[0] === "-";
    s = s.slice(1);
  }
  if (s === "0") return 0;
  if (s === "") throw invalid();
  let total = 0n;
  while (s !== "") {
    const [number = "", whole = "", fraction] = /^(\d*)(?:\.(\d*))?/.exec(s) ?? [];
    if (whole === "" && !fraction) throw invalid(); // no digits: "", ".", ".s"
    s = s.slice(number.length);
    const unit = /^[^\d.]*/.exec(s)![0];
    if (unit === "") throw new Error(`time: missing unit in duration ${goQuote(text)}`);
    s = s.slice(unit.length);
    const per = NS_PER_UNIT[unit];
    if (per === undefined) throw new Error(`time: unknown unit ${goQuote(unit)} in duration ${goQuote(text)}`);
    let v = whole === "" ? 0n : BigInt(whole);
    if (v > MAX_NS / per) throw invalid();
    v *= per;
    if (fraction) {
      // Go's leadingFraction: digits past int64 are dropped; the fraction is scaled in float64.
      let f = 0n;
      let scale = 1;
      for (const digit of fraction) {
        const next = f * 10n + BigInt(digit);
        if (next > MAX_NS) break;
        f = next;
        scale *= 10;
      }
      v += BigInt(Math.trunc(Number(f) * (Number(per) / scale)));
      if (v > MAX_NS) throw invalid();
    }
    total += v;
    if (total > MAX_NS) throw invalid();
  }
  if (!neg && total === MAX_NS) throw invalid();
  return Number(neg ? -total : total) / 1e6;
}

/** Go's quote() in package time: printable ASCII as is, `"` and `\` escaped, other bytes as \xNN. */
function goQuote(s: string): string {
  let out = "";
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (c < 0x20 || c >= 0x80) out += [...new TextEncoder().encode(ch)].map((b) => `\\x${b.toString(16).padStart(2, "0")}`).join("");
    else out += ch === '"' || ch === "\\" ? `\\${ch}` : ch;
  }
  return `"${out}"`;
}
