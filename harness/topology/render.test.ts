import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { applySetOverrides, SEED_SPEC } from "./spec.js";
import { etcdCommand, flagValue, hashedSchedulerArgs, kubeletCommand, loadTemplates, planAddresses, renderMasterFiles, renderNginxConf } from "./render.js";

type Pod = { metadata: { name: string }; spec: { containers: { name: string; image: string; command: string[]; env?: unknown[] }[] } };
const templates = await loadTemplates();
const addrs = planAddresses(SEED_SPEC, "10.213.7");
const podAt = (files: Record<string, string>, path: string): Pod => {
  expect(files[path], path).toBeDefined();
  return parse(files[path]!) as Pod;
};

describe("renderMasterFiles (cold standby, the seed)", () => {
  const files = renderMasterFiles(SEED_SPEC, addrs, 1, templates);

  it("puts the seed's files where the seed puts them, as parseable Pods", () => {
    expect(Object.keys(files).sort()).toEqual([
      "/etc/kubernetes/manifests/apiserver.yaml",
      "/etc/kubernetes/manifests/podmaster.yaml",
      "/etc/kubernetes/mesos-cloud.conf",
      "/srv/kubernetes/manifests/controller-mgr.yaml",
      "/srv/kubernetes/manifests/scheduler.yaml",
    ]);
    expect(podAt(files, "/etc/kubernetes/manifests/apiserver.yaml").metadata.name).toBe("kube-apiserver");
    expect(podAt(files, "/srv/kubernetes/manifests/controller-mgr.yaml").metadata.name).toBe("kube-controller-manager");
    expect(files["/etc/kubernetes/mesos-cloud.conf"]).toBe("[mesos-cloud]\n        mesos-master        = 10.213.7.2:5050\n");
    for (const text of Object.values(files)) expect(text).not.toMatch(/\$\{/);
  });

  it("substitutes the node's and the services' addresses", () => {
    const api = podAt(files, "/etc/kubernetes/manifests/apiserver.yaml").spec.containers[0]!.command;
    expect(api).toContain("--advertise-address=10.213.7.21");
    expect(api).toContain("--etcd-servers=http://10.213.7.10:4001");
    expect(api).toContain("--insecure-port=8080");
    const sched = podAt(files, "/srv/kubernetes/manifests/scheduler.yaml").spec.containers[0]!.command;
    expect(sched.slice(0, 2)).toEqual(["/opt/kubernetes/km", "scheduler"]);
    expect(sched).toEqual(expect.arrayContaining([
      "--address=10.213.7.21", "--advertised-address=10.213.7.5:81", "--mesos-master=10.213.7.2:5050",
      "--api-servers=10.213.7.5:80", "--v=10",
    ]));
    expect(sched).not.toContain("--ha");
  });

  it("passes the podmaster's --ttl-secs and --sleep to both electors", () => {
    const pm = podAt(files, "/etc/kubernetes/manifests/podmaster.yaml");
    expect(pm.spec.containers.map((c) => c.name)).toEqual(["scheduler-elector", "controller-manager-elector"]);
    for (const c of pm.spec.containers) {
      expect(c.command).toEqual(expect.arrayContaining(["--whoami=10.213.7.21", "--ttl-secs=30", "--sleep=5s"]));
      expect(c.image).toBe("gcr.io/google_containers/podmaster:1.1");
    }
  });

  it("lists every etcd member with three members", () => {
    const spec3 = applySetOverrides(SEED_SPEC, ["etcd-members=3", "ttl-secs=6", "sleep=1s"]);
    const a3 = planAddresses(spec3, "10.213.7");
    const f = renderMasterFiles(spec3, a3, 2, templates);
    const pm = podAt(f, "/etc/kubernetes/manifests/podmaster.yaml").spec.containers[0]!.command;
    expect(flagValue(pm, "etcd-servers")).toBe("http://10.213.7.10:4001,http://10.213.7.11:4001,http://10.213.7.12:4001");
    expect(pm).toEqual(expect.arrayContaining(["--ttl-secs=6", "--sleep=1s", "--whoami=10.213.7.22"]));
    expect(etcdCommand(a3, 1, "t")).toContain(
      "--initial-cluster=etcd-0=http://10.213.7.10:2380,etcd-1=http://10.213.7.11:2380,etcd-2=http://10.213.7.12:2380",
    );
  });
});

describe("scheduler flags across masters", () => {
  const sched = (spec: typeof SEED_SPEC, i: number): string[] =>
    podAt(renderMasterFiles(spec, planAddresses(spec, "10.213.7"), i, templates), spec.mode === "hot-standby" ? "/etc/kubernetes/manifests/scheduler.yaml" : "/srv/kubernetes/manifests/scheduler.yaml").spec.containers[0]!.command;

  it("hashed flags are identical on every master, only --address differs", () => {
    const spec = applySetOverrides(SEED_SPEC, ["masters=3", "scheduler.kubelet-sync-frequency=5s"]);
    const all = [1, 2, 3].map((i) => sched(spec, i));
    expect(hashedSchedulerArgs(all[0]!)).toEqual(expect.arrayContaining(["--api-servers=10.213.7.5:80", "--advertised-address=10.213.7.5:81", "--kubelet-sync-frequency=5s"]));
    for (const c of all) expect(hashedSchedulerArgs(c)).toEqual(hashedSchedulerArgs(all[0]!));
    expect(new Set(all.map((c) => flagValue(c, "address"))).size).toBe(3);
  });

  it("a per-master override changes that master's hashed flags only", () => {
    const spec = applySetOverrides(SEED_SPEC, ["master.2.scheduler.advertised-address=10.213.7.22:10251"]);
    const [one, two] = [sched(spec, 1), sched(spec, 2)];
    expect(flagValue(one, "advertised-address")).toBe("10.213.7.5:81");
    expect(flagValue(two, "advertised-address")).toBe("10.213.7.22:10251");
    expect(two.filter((a) => a.startsWith("--advertised-address"))).toHaveLength(1);
    expect(hashedSchedulerArgs(one)).not.toEqual(hashedSchedulerArgs(two));
  });

  it("flag values may use the seed's variables, filled in per master (the seed's counter-example)", () => {
    const spec = applySetOverrides(SEED_SPEC, ["master.1.scheduler.advertised-address=${MY_IP}:10251", "master.2.scheduler.advertised-address=${MY_IP}:10251"]);
    expect(flagValue(sched(spec, 1), "advertised-address")).toBe("10.213.7.21:10251");
    expect(flagValue(sched(spec, 2), "advertised-address")).toBe("10.213.7.22:10251");
    expect(() => applySetOverrides(SEED_SPEC, ["scheduler.advertised-address=${MY_HOST}:81"])).toThrow(/uses \$\{MY_HOST\}, which is not one of the seed's variables/);
  });

  it("hot standby: a --ha scheduler in the manifest dir, podmaster elects the controller-manager only", () => {
    const spec = applySetOverrides(SEED_SPEC, ["mode=hot-standby", "scheduler-env.K8SM_HA_TTL_SECS=6"]);
    const files = renderMasterFiles(spec, planAddresses(spec, "10.213.7"), 1, templates);
    expect(files["/srv/kubernetes/manifests/scheduler.yaml"]).toBeUndefined();
    const s = podAt(files, "/etc/kubernetes/manifests/scheduler.yaml").spec.containers[0]!;
    expect(s.command).toContain("--ha");
    expect(s.env).toEqual([{ name: "K8SM_HA_TTL_SECS", value: "6" }]);
    const pm = podAt(files, "/etc/kubernetes/manifests/podmaster.yaml");
    expect(pm.spec.containers.map((c) => c.name)).toEqual(["controller-manager-elector"]);
  });
});

describe("renderNginxConf", () => {
  it("lists every master in both upstreams and keeps the seed's proxy settings", () => {
    const spec = applySetOverrides(SEED_SPEC, ["masters=3"]);
    const conf = renderNginxConf(templates.nginx, planAddresses(spec, "10.213.7"));
    expect(conf).not.toMatch(/\$\{/);
    const upstream = (name: string): string[] => [...conf.match(new RegExp(`upstream ${name} \\{([^}]*)\\}`))![1]!.matchAll(/server (\S+);/g)].map((m) => m[1]!);
    expect(upstream("apiservers")).toEqual(["10.213.7.21:8080", "10.213.7.22:8080", "10.213.7.23:8080"]);
    expect(upstream("schedulers")).toEqual(["10.213.7.21:10251", "10.213.7.22:10251", "10.213.7.23:10251"]);
    expect(conf).toMatch(/listen 80;/);
    expect(conf).toMatch(/listen 81;/);
    expect(conf.match(/proxy_connect_timeout   2;/g)).toHaveLength(2);
  });
});

describe("kubeletCommand", () => {
  it("is the seed's command line with the spec's timers", () => {
    expect(kubeletCommand(applySetOverrides(SEED_SPEC, ["file-check-frequency=1s", "sync-frequency=1s"]))).toEqual([
      "/usr/local/bin/kubelet", "--api_servers=http://127.0.0.1:8080", "--register-node=false", "--allow-privileged=true",
      "--config=/etc/kubernetes/manifests", "--file-check-frequency=1s", "--sync-frequency=1s",
    ]);
  });
});
