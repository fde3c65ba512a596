/**
 * A TCP endpoint in front of the real Docker engine (DOCKER_HOST for a child) that a test can
 * break the way a user's engine breaks: `cut()` drops every connection and refuses new ones (a
 * dockerd that died); `freeze()` keeps every connection open and accepts new ones but forwards
 * nothing more in either direction (a wedged dockerd: the calls hang); `thaw()` forwards again.
 */
import { connect, createServer, type AddressInfo, type Server, type Socket } from "node:net";
import { dockerEndpoint } from "../docker/client.js";

export interface EngineProxy {
  /** `tcp://127.0.0.1:<port>`. */
  readonly url: string;
  /** Drops every connection and refuses new ones. Idempotent. */
  cut(): void;
  /** Stops forwarding (open connections hang, new ones are accepted and hang). */
  freeze(): void;
  /** Forwards again what was held back, and from now on. */
  thaw(): void;
  /** Requests held while frozen, as `hh:mm:ss METHOD /path HTTP/1.1` (UTC): what the harness was waiting on. */
  readonly heldRequests: readonly string[];
}

export async function engineProxy(): Promise<EngineProxy> {
  const upstream = dockerEndpoint();
  const target = upstream.startsWith("unix://")
    ? { path: upstream.slice("unix://".length) }
    : (() => {
        const u = new URL(upstream.replace(/^tcp:/, "http:"));
        return { host: u.hostname, port: Number(u.port) };
      })();
  const sockets = new Set<Socket>();
  const pairs = new Set<{ client: Socket; engine: Socket; held: [Socket, Buffer][] }>();
  const heldRequests: string[] = [];
  let frozen = false;
  const server: Server = createServer((client) => {
    const engine = connect(target as never);
    const pair = { client, engine, held: [] as [Socket, Buffer][] };
    pairs.add(pair);
    for (const s of [client, engine]) {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
      s.on("error", () => {});
    }
    const forward = (from: Socket, to: Socket): void => {
      from.on("data", (d: Buffer) => {
        if (!frozen) return void to.write(d);
        if (from === client) heldRequests.push(`${new Date().toISOString().slice(11, 19)} ${d.toString("latin1").split("\r\n")[0] ?? ""}`);
        pair.held.push([to, d]);
      });
    };
    forward(client, engine);
    forward(engine, client);
    client.on("close", () => (engine.destroy(), pairs.delete(pair)));
    engine.on("close", () => client.destroy());
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `tcp://127.0.0.1:${(server.address() as AddressInfo).port}`,
    heldRequests,
    cut: () => {
      server.close();
      for (const s of sockets) s.destroy();
    },
    freeze: () => {
      frozen = true;
    },
    thaw: () => {
      frozen = false;
      for (const p of pairs) for (const [to, d] of p.held.splice(0)) if (!to.destroyed) to.write(d);
    },
  };
}
