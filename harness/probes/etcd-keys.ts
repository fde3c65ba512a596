/**
 * Watches etcd v2 keys from outside, as `etcdctl watch` would: a GET for the current value, then
 * long-poll watches (`?wait=true&waitIndex=`) for every change, including TTL expiry (action
 * `expire`). When the watch index has been cleared (etcd error 401) or a member stops answering, it
 * starts over with a GET on the next member. Emits `etcd-key` entries on change.
 */
import { request } from "undici";
import { sleep } from "../async/sleep.js";
import { ChangeFilter, nodeOfIp, probeAgent, type Probe, type ProbeTargets, type Sink } from "./probe.js";

interface V2Node { value?: string; modifiedIndex?: number; ttl?: number }
interface V2Answer { action?: string; node?: V2Node; errorCode?: number; index?: number }

export function etcdKeysProbe(targets: ProbeTargets, keys: readonly string[]): Probe {
  const filter = new ChangeFilter();
  // A resync aborts every in-flight long-poll, so the current values are re-read at once (a watch
  // may otherwise sit for seconds, and a new trial would start without the leader key in its history).
  let epoch = new AbortController();
  return {
    name: "etcd-keys",
    resync: () => {
      filter.clear();
      epoch.abort();
      epoch = new AbortController();
    },
    async run(sink: Sink, signal: AbortSignal) {
      await Promise.all(keys.map((key) => watchKey(key, sink, signal)));
    },
  };

  async function call(url: string, signal: AbortSignal, timeoutMs: number): Promise<{ answer: V2Answer; etcdIndex: number }> {
    const res = await request(url, {
      dispatcher: probeAgent,
      signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    const answer = (await res.body.json()) as V2Answer;
    return { answer, etcdIndex: Number(res.headers["x-etcd-index"] ?? 0) };
  }

  async function watchKey(key: string, sink: Sink, signal: AbortSignal): Promise<void> {
    let member = 0;
    const emit = (node: V2Node | undefined) => {
      const value = node?.value ?? null;
      const payload = { kind: "etcd-key" as const, key, value, modifiedIndex: node?.modifiedIndex, ttl: node?.ttl, node: nodeOfIp(targets, value ?? undefined) };
      if (filter.changed(key, { value, modifiedIndex: payload.modifiedIndex })) sink(payload);
    };
    while (!signal.aborted) {
      const base = targets.etcdUrls[member % targets.etcdUrls.length]!;
      const mine = epoch.signal;
      const local = AbortSignal.any([signal, mine]);
      try {
        const { answer, etcdIndex } = await call(`${base}/v2/keys${key}`, local, 1_000);
        if (answer.errorCode !== undefined && answer.errorCode !== 100) throw new Error(`etcd error ${answer.errorCode}`);
        emit(answer.errorCode === 100 ? undefined : answer.node);
        let waitIndex = (answer.errorCode === 100 ? (answer.index ?? etcdIndex) : etcdIndex) + 1;
        // Long-poll; bounded so a silent partition is noticed within seconds.
        while (!local.aborted) {
          const w = await call(`${base}/v2/keys${key}?wait=true&waitIndex=${waitIndex}`, local, 5_000).catch((err: unknown) => {
            if (!local.aborted && ((err as Error).name === "TimeoutError" || /timeout/i.test(String(err)))) return null;
            throw err;
          });
          if (w === null) break; // nothing changed for 5 s: re-GET (cheap) and keep watching
          if (w.answer.errorCode === 401) break; // index cleared: start over with a GET
          if (w.answer.errorCode !== undefined) throw new Error(`etcd error ${w.answer.errorCode}`);
          const gone = w.answer.action === "expire" || w.answer.action === "delete" || w.answer.action === "compareAndDelete";
          emit(gone ? undefined : w.answer.node);
          waitIndex = (w.answer.node?.modifiedIndex ?? waitIndex) + 1;
        }
      } catch {
        if (signal.aborted) return;
        if (mine.aborted) continue; // resync: read again from the same member
        member++;
        await sleep(Math.min(targets.intervalMs, 100), signal).catch(() => {});
      }
    }
  }
}
