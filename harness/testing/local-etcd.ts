/**
 * A real etcd process (Debian's etcd-server, /usr/bin/etcd) on free loopback ports with a temp
 * data dir, for unit-tier tests that need etcd without Docker. v2 API enabled, as in the topology.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { timeoutSignal } from "../async/timeout-signal.js";
import { waitFor, WaitTimeoutError } from "../async/wait-for.js";

export interface LocalEtcd extends AsyncDisposable {
  /** Client URL, e.g. http://127.0.0.1:43121 */
  readonly url: string;
  readonly process: ChildProcess;
  /** SIGSTOP / SIGCONT the server, to model a hung etcd. */
  pause(): void;
  resume(): void;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export async function startLocalEtcd(opts: { binary?: string; startTimeoutMs?: number; signal?: AbortSignal } = {}): Promise<LocalEtcd> {
  const binary = opts.binary ?? process.env.ETCD_BINARY ?? "/usr/bin/etcd";
  const dir = await mkdtemp(path.join(os.tmpdir(), "k8sm-etcd-"));
  const [clientPort, peerPort] = [await freePort(), await freePort()];
  const url = `http://127.0.0.1:${clientPort}`;
  const child = spawn(binary, [
    "--name", "local", "--data-dir", dir, "--enable-v2",
    "--listen-client-urls", url, "--advertise-client-urls", url,
    "--listen-peer-urls", `http://127.0.0.1:${peerPort}`,
    "--initial-advertise-peer-urls", `http://127.0.0.1:${peerPort}`,
    "--initial-cluster", `local=http://127.0.0.1:${peerPort}`,
    "--log-level", "error",
  ], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (c: Buffer) => { stderr = (stderr + c.toString()).slice(-4000); });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.once("error", (err) => { stderr += String(err); });

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGCONT");
      child.kill("SIGKILL");
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };

  let up: "up" | "exited" | "timed out";
  try {
    up = await waitFor(
      async ({ signal }) => {
        if (child.exitCode !== null) return "exited" as const;
        const res = await fetch(`${url}/v2/keys/`, { signal: timeoutSignal(1000, signal) });
        return res.ok && ("up" as const);
      },
      { description: `local etcd answers on ${url}`, timeoutMs: opts.startTimeoutMs ?? 15_000, intervalMs: 100, signal: opts.signal },
    );
  } catch (err) {
    if (!(err instanceof WaitTimeoutError)) {
      await stop();
      throw err;
    }
    up = "timed out";
  }
  if (up !== "up") {
    await stop();
    throw new Error(`local etcd (${binary}) did not start on ${url}: ${stderr.trim() || "no output"} (install Debian's etcd-server)`);
  }
  return {
    url,
    process: child,
    pause: () => void child.kill("SIGSTOP"),
    resume: () => void child.kill("SIGCONT"),
    stop,
    [Symbol.asyncDispose]: stop,
  };
}
