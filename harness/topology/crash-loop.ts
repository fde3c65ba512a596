/**
 * Notices, from the containers' log lines during a launch, a component that can never come up:
 * one that rejects its command line (`unknown flag`, said again after a restart) or a static pod
 * the kubelet keeps restarting after it failed. The launch then fails at once naming the pod, its
 * exit code and the error it printed, instead of a health phase timing out a minute or more later
 * without the cause (a `--set scheduler.bogus-flag=1` did exactly that).
 */
import { TopologyUnhealthyError } from "../errors.js";

/** A flag the program does not take: spf13/pflag (km, the emulations) and Go's flag package. */
export const BAD_FLAG = /\bunknown (?:shorthand )?flag\b|\bflag provided but not defined\b/i;
/** A line that says what went wrong (the cause to name), as opposed to info lines and JSON events. */
const ERROR_LINE = /^(?:error\b|[EF]\d{4} |fatal\b|panic:)/i;

/** How many failed exits of one static pod during a launch make a crash loop. */
export const CRASH_LOOP_EXITS = 3;
/** How many times the same bad-flag line makes a crash loop (said again after a restart). */
export const BAD_FLAG_REPEATS = 2;

export interface CrashLoopWatch {
  /** Feed every log line of a container (its role and name), as it comes. */
  onLine(role: string, container: string, line: string): void;
  /** Aborts with a `TopologyUnhealthyError` naming the crash loop, once one is seen. */
  readonly signal: AbortSignal;
}

/** `where` says where a container's full log is (its name → a path or a how-to), for the hint. */
export function watchCrashLoops(where: (container: string) => string): CrashLoopWatch {
  const controller = new AbortController();
  const badFlags = new Map<string, number>();
  const exits = new Map<string, number>();
  const lastError = new Map<string, string>();
  const fail = (role: string, container: string, what: string, cause: string | undefined): void => {
    if (controller.signal.aborted) return;
    controller.abort(
      new TopologyUnhealthyError(
        role,
        `${what} in ${container} (${role}) during the launch${cause ? `; it says: ${cause}` : ""}`,
        `it can never come up this way: check the flags and settings given to it (--set; npm run scenario -- --list names the keys). Full log: ${where(container)}`,
      ),
    );
  };
  return {
    signal: controller.signal,
    onLine(role, container, line) {
      if (controller.signal.aborted) return;
      const text = line.trim();
      if (text.startsWith("{")) {
        const exit = kubeletExit(text);
        if (!exit) return;
        const key = `${container}/${exit.pod}`;
        const n = (exits.get(key) ?? 0) + 1;
        exits.set(key, n);
        if (n >= CRASH_LOOP_EXITS) fail(role, container, `pod ${exit.pod} crash-loops: its container ${exit.container} exited ${n} times (last exit code ${exit.code})`, lastError.get(container));
        return;
      }
      if (ERROR_LINE.test(text) || BAD_FLAG.test(text)) lastError.set(container, text);
      if (BAD_FLAG.test(text)) {
        const key = `${container}/${text}`;
        const n = (badFlags.get(key) ?? 0) + 1;
        badFlags.set(key, n);
        if (n >= BAD_FLAG_REPEATS) fail(role, container, `a component rejects its command line, ${n} times`, text);
      }
    },
  };
}

/** The kubelet emulation's event for a static pod's container that exited with a failure code. */
function kubeletExit(text: string): { pod: string; container: string; code: number } | undefined {
  if (!text.includes('"container-exited"')) return undefined;
  try {
    const e = JSON.parse(text) as { component?: unknown; event?: unknown; pod?: unknown; container?: unknown; code?: unknown; signal?: unknown };
    if (e.event !== "container-exited" || typeof e.pod !== "string" || typeof e.code !== "number" || e.code === 0 || (e.signal !== null && e.signal !== undefined)) return undefined;
    return { pod: e.pod, container: typeof e.container === "string" ? e.container : e.pod, code: e.code };
  } catch {
    return undefined;
  }
}
