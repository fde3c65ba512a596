/**
 * The emulations' ground-truth events (docs/CONTRACTS.md, "Emulation output"), read back from the
 * container logs the runner saved. Only harness/ground-truth reads them: probes never measure from
 * them; they exist to check that the probes measure what they claim.
 */
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";

/** One event line of one container's log. */
export interface GroundTruthEvent {
  /** Epoch ms, as the emitting process saw it (containers share the host's clock). */
  ts: number;
  /** `podmaster`, `kubelet`, `km-scheduler`, `km executor`, `mesos-master`, `mesos-agent`, ... */
  component: string;
  /** The node the emitter names itself (may be a hostname, an agent's `--hostname`, ...). */
  node: string;
  event: string;
  /** The container whose log held the line, e.g. `k8sm-20250101-120000-3fa2-master-1`. */
  container: string;
  /**
   * The topology node the container is (`master-1`, `agent-2`, `mesos-master`): the container name
   * without the `k8sm-<runId>-` prefix. A master node's pods (podmaster, scheduler, ...) print through
   * its kubelet, so `host` is the master node they ran on, whatever they call themselves.
   */
  host: string;
  /** The event's other fields (`key`, `frameworkId`, `pid`, `taskId`, `state`, ...). */
  fields: Record<string, unknown>;
}

/** `k8sm-<yyyymmdd-hhmmss>-<4 hex>-<role>` → `<role>`; other names are returned as they are. */
export function containerRole(container: string): string {
  return /^k8sm-\d{8}-\d{6}-[0-9a-f]{4}-(.+)$/.exec(container)?.[1] ?? container;
}

/** Docker's `--timestamps` prefix (RFC 3339 with nanoseconds), in case a log was saved with it. */
const DOCKER_TS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d) /;

/** Parses one log line; null when it is not an event (glog text, partial lines, other JSON). */
export function parseEventLine(raw: string, container: string): GroundTruthEvent | null {
  const line = raw.replace(DOCKER_TS, "").trim();
  if (!line.startsWith("{")) return null;
  let obj: unknown;
  try {
    obj = JSON.parse(line);
  } catch {
    return null;
  }
  if (typeof obj !== "object" || obj === null) return null;
  const { ts, component, node, event, ...fields } = obj as Record<string, unknown>;
  if (typeof ts !== "number" || !Number.isFinite(ts) || typeof event !== "string" || typeof component !== "string") return null;
  return { ts, component, node: typeof node === "string" ? node : "", event, container, host: containerRole(container), fields };
}

/**
 * Every event of every container log (container name → the log's text), ordered by `ts` (lines
 * with equal `ts` keep their order within a log). Lines that are not events are skipped.
 */
export function parseEventLogs(files: Readonly<Record<string, string>>): GroundTruthEvent[] {
  const events: GroundTruthEvent[] = [];
  for (const [container, text] of Object.entries(files)) {
    for (const line of text.split("\n")) {
      const e = parseEventLine(line, container);
      if (e) events.push(e);
    }
  }
  return events.sort((a, b) => a.ts - b.ts);
}

/** Reads `<dir>/<container>.log` files (a report's `logs/` directory) into container name → text. */
export async function readContainerLogs(dir: string): Promise<Record<string, string>> {
  const names = (await readdir(dir)).filter((n) => n.endsWith(".log")).sort();
  const texts = await Promise.all(names.map((n) => readFile(path.join(dir, n), "utf8")));
  return Object.fromEntries(names.map((n, i) => [n.slice(0, -".log".length), texts[i]!]));
}
