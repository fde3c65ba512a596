// The first real topology slice: a labelled network, a real etcd (v2 + v3) from the base image,
// nginx proxying to it, then teardown; afterwards nothing with the run's labels may remain.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Etcd3 } from "etcd3";
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveImages } from "../setup/images.js";
import { TeardownStack } from "../lifecycle/teardown-stack.js";
import { getDocker } from "./client.js";
import { startContainer } from "./containers.js";
import { runLabelFilter } from "./labels.js";
import { createRunNetwork } from "./network.js";
import { newRunId } from "./run-id.js";

const NGINX_CONF = `
worker_processes 1;
pid /tmp/nginx.pid;
error_log stderr info;
events { worker_connections 64; }
http {
  access_log off;
  server {
    listen 80;
    location / { proxy_pass http://etcd:4001; }
  }
}
`;

describe("etcd and nginx in Docker", () => {
  let logDir: string;
  beforeAll(async () => {
    logDir = await mkdtemp(join(tmpdir(), "k8sm-etcd-nginx-"));
  });
  afterAll(async () => {
    await rm(logDir, { recursive: true, force: true });
  });

  it("writes and reads keys over v3 and v2, through nginx, and leaves nothing behind", async ({ signal }) => {
    const docker = await getDocker();
    const { base } = await resolveImages({ docker, onWarning: () => {} });
    const runId = newRunId();
    const stack = new TeardownStack();
    let etcdClient: Etcd3 | undefined;
    try {
      const network = stack.use(await createRunNetwork(docker, runId), "remove network");
      const etcd = stack.use(
        await startContainer(
          docker,
          {
            image: base,
            runId,
            role: "etcd-0",
            network: network.name,
            aliases: ["etcd-0", "etcd"],
            cmd: [
              "etcd",
              "--name=etcd-0",
              "--data-dir=/var/lib/etcd-0",
              "--enable-v2",
              "--listen-client-urls=http://0.0.0.0:4001,http://0.0.0.0:2379",
              "--advertise-client-urls=http://etcd-0:4001",
            ],
            wait: { kind: "http", port: 2379, path: "/health" },
            logFile: join(logDir, "etcd-0.log"),
          },
          { signal },
        ),
      );
      const etcdIp = await etcd.ipAddress();

      // v3 through the etcd3 client.
      etcdClient = new Etcd3({ hosts: `http://${etcdIp}:2379` });
      await etcdClient.put("/k8sm-test/v3").value("hello v3");
      expect(await etcdClient.get("/k8sm-test/v3").string()).toBe("hello v3");

      // v2 through its HTTP keys API (a separate keyspace in etcd 3.4).
      const put = await request(`http://${etcdIp}:4001/v2/keys/k8sm-test/v2`, {
        method: "PUT",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: "value=hello%20v2&ttl=60",
        signal,
      });
      expect(put.statusCode).toBe(201);
      await put.body.dump();
      const got = await request(`http://${etcdIp}:4001/v2/keys/k8sm-test/v2`, { signal });
      const body = (await got.body.json()) as { node: { value: string; ttl?: number } };
      expect(body.node.value).toBe("hello v2");
      expect(body.node.ttl).toBeGreaterThan(0);

      const nginx = stack.use(
        await startContainer(
          docker,
          {
            image: base,
            runId,
            role: "nginx",
            network: network.name,
            cmd: ["nginx", "-g", "daemon off;", "-c", "/etc/k8sm/nginx.conf"],
            files: [{ path: "/etc/k8sm/nginx.conf", content: NGINX_CONF }],
            wait: { kind: "http", port: 80, path: "/version" },
          },
          { signal },
        ),
      );
      const viaNginx = await request(`http://${await nginx.ipAddress()}/v2/keys/k8sm-test/v2`, { signal });
      expect(viaNginx.statusCode).toBe(200);
      expect(((await viaNginx.body.json()) as { node: { value: string } }).node.value).toBe("hello v2");

      // Both containers are labelled with the run and on the run network only.
      const listed = await docker.listContainers({ all: true, filters: { label: [runLabelFilter(runId)] } });
      expect(listed.map((c) => c.Labels["k8sm-chaos.role"]).sort()).toEqual(["etcd-0", "nginx"]);
      for (const c of listed) expect(Object.keys(c.NetworkSettings.Networks)).toEqual([network.name]);
    } finally {
      etcdClient?.close();
      await stack.dispose();
    }

    const log = await readFile(join(logDir, "etcd-0.log"), "utf8");
    expect(log).toMatch(/ready to serve client requests/);
    const containers = await docker.listContainers({ all: true, filters: { label: [runLabelFilter(runId)] } });
    const networks = await docker.listNetworks({ filters: { label: [runLabelFilter(runId)] } });
    expect(containers).toEqual([]);
    expect(networks).toEqual([]);
  });
});
