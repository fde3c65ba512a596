/**
 * `topologyRssMiB`: the memory of every container of one topology, from Docker stats, summed per
 * sample; the peak over the samples.
 *
 * Per container two figures:
 * - `usage`: what `docker stats` shows as MEM USAGE: the cgroup's usage minus its inactive file
 *   cache (docker CLI `calculateMemUsageUnixNoCache`: `total_inactive_file` on cgroup v1,
 *   `inactive_file` on v2). The goal is judged on this one: it is the figure an operator sees.
 * - `anon`: anonymous memory only (cgroup v1 `total_rss`, v2 `anon`): the processes' RSS without
 *   any page cache.
 *
 * Docker's stats collector refreshes once a second (a `stream:false` call waits for it: about 1 s
 * on this engine), so samples are taken back to back, at most every `intervalMs`; the achieved
 * interval is reported.
 */
import type Docker from "dockerode";
import { sleep } from "../async/sleep.js";
import { dockerCall } from "../docker/client.js";

const MiB = 1024 * 1024;

/** The part of Docker's stats answer used here (cgroup v1 and v2 keys). */
export interface MemoryStatsLike {
  usage?: number;
  stats?: Record<string, number | undefined>;
}

/** Bytes; null when the container reported no memory (stopped, or stats unavailable). */
export function containerMemory(m: MemoryStatsLike | undefined): { usage: number; anon: number } | null {
  if (!m || typeof m.usage !== "number") return null;
  const s = m.stats ?? {};
  const inactive = s.total_inactive_file ?? s.inactive_file;
  const usage = inactive !== undefined && inactive < m.usage ? m.usage - inactive : m.usage;
  const anon = s.total_rss ?? s.anon ?? s.rss ?? 0;
  return { usage, anon };
}

export interface MemorySample {
  /** ms since the sampler started. */
  atMs: number;
  /** Container (role) → MiB (`usage`). */
  byContainer: Record<string, number>;
  usageMiB: number;
  anonMiB: number;
}

export interface MemorySummary {
  samples: number;
  /** Median ms between sample starts. */
  intervalMsP50: number | null;
  /** Peak of the per-sample sum of `usage` (docker stats MEM USAGE), MiB. */
  peakMiB: number | null;
  /** Peak of the per-sample sum of anonymous memory, MiB. */
  peakAnonMiB: number | null;
  /** The sample with the peak `usage`, per container. */
  atPeak: MemorySample | null;
  /** Samples where some container's stats failed (skipped in the sum). */
  partialSamples: number;
}

/** Folds samples into the summary (pure). */
export function summarizeMemory(samples: readonly MemorySample[], partialSamples = 0): MemorySummary {
  if (!samples.length) return { samples: 0, intervalMsP50: null, peakMiB: null, peakAnonMiB: null, atPeak: null, partialSamples };
  const gaps = samples.slice(1).map((s, i) => s.atMs - samples[i]!.atMs).sort((a, b) => a - b);
  const atPeak = samples.reduce((a, b) => (b.usageMiB > a.usageMiB ? b : a));
  return {
    samples: samples.length,
    intervalMsP50: gaps.length ? gaps[Math.floor((gaps.length - 1) / 2)]! : null,
    peakMiB: atPeak.usageMiB,
    peakAnonMiB: Math.max(...samples.map((s) => s.anonMiB)),
    atPeak,
    partialSamples,
  };
}

export interface MemorySampler {
  /** Stops sampling (waits for the sample in flight) and returns the summary. */
  stop(): Promise<MemorySummary>;
}

/**
 * Samples every running container matching `labelFilter` (`key=value`) until stopped. `name` turns
 * a container name into the key of `byContainer` (e.g. strips the run prefix). Errors of a single
 * container (it was just killed) skip it for that sample; a failed listing skips the sample.
 */
export function startMemorySampler(docker: Docker, labelFilter: string, opts: { intervalMs?: number; name?: (container: string) => string } = {}): MemorySampler {
  const intervalMs = opts.intervalMs ?? 500;
  const name = opts.name ?? ((c: string) => c);
  const samples: MemorySample[] = [];
  let partial = 0;
  const stopped = new AbortController();
  const t0 = performance.now();

  const one = async (): Promise<void> => {
    const atMs = performance.now() - t0;
    const list = await dockerCall(docker, "read", "list", "containers", (abortSignal) => docker.listContainers({ filters: { label: [labelFilter] }, abortSignal }));
    let failed = false;
    const rows = await Promise.all(
      list.map(async (c) => {
        try {
          const st = (await dockerCall(docker, "read", "read stats of", c.Id, (abortSignal) =>
            docker.getContainer(c.Id).stats({ stream: false, "one-shot": true, abortSignal } as { stream: false }),
          )) as { memory_stats?: MemoryStatsLike };
          const mem = containerMemory(st.memory_stats);
          return mem ? { name: name((c.Names[0] ?? c.Id).replace(/^\//, "")), ...mem } : null;
        } catch {
          failed = true;
          return null;
        }
      }),
    );
    const ok = rows.filter((r): r is NonNullable<typeof r> => r !== null);
    if (failed) partial++;
    if (!ok.length) return;
    samples.push({
      atMs,
      byContainer: Object.fromEntries(ok.map((r) => [r.name, r.usage / MiB])),
      usageMiB: ok.reduce((a, r) => a + r.usage, 0) / MiB,
      anonMiB: ok.reduce((a, r) => a + r.anon, 0) / MiB,
    });
  };

  const loop = (async () => {
    while (!stopped.signal.aborted) {
      const started = performance.now();
      await one().catch(() => { partial++; });
      const wait = intervalMs - (performance.now() - started);
      if (wait > 0) await sleep(wait, stopped.signal).catch(() => {});
    }
  })();

  return {
    async stop() {
      stopped.abort();
      await loop;
      return summarizeMemory(samples, partial);
    },
  };
}
