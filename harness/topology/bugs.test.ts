import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { InputError } from "../errors.js";
import { PROJECT_ROOT } from "../paths.js";
import { BUG_NAMES, BUGS, bugsOf } from "./bugs.js";
import { bugEnv, BUGS_ENV, loadTemplates, planAddresses, renderMasterFiles, renderNginxConf } from "./render.js";
import { applySetOverrides, FAST_SPEC, SEED_SPEC, setKeysHelp, validateTopologySpec } from "./spec.js";

const templates = await loadTemplates();

const thrown = (fn: () => unknown): InputError => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    return err as InputError;
  }
  throw new Error("expected an InputError");
};

describe("the planted-bug catalogue", () => {
  // Scenario files (those that define one), read from disk: harness/ may not import scenarios/ (layer rule).
  const dir = join(PROJECT_ROOT, "scenarios");
  const scenarios = readdirSync(dir)
    .filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts") && readFileSync(join(dir, f), "utf8").includes("defineScenario({"))
    .map((f) => f.slice(0, -3));

  it("names each bug once, each with a description, the failure it models and at least one target", () => {
    expect(new Set(BUG_NAMES).size).toBe(BUGS.length);
    for (const b of BUGS) {
      expect(b.name).toMatch(/^[a-z0-9]+(-[a-z0-9]+)+$/);
      expect(b.name.startsWith(b.component === "mesos-master" ? "mesos-" : `${b.component}-`), b.name).toBe(true);
      expect(b.description.length, b.name).toBeGreaterThan(20);
      expect(b.models.length, b.name).toBeGreaterThan(20);
      expect(b.targets.length, b.name).toBeGreaterThan(0);
    }
  });

  it("targets only scenarios that exist, and every scenario has a bug it exists to catch", () => {
    expect(scenarios.length).toBeGreaterThanOrEqual(10);
    const targeted = new Set(BUGS.flatMap((b) => b.targets.map((t) => t.scenario)));
    for (const s of targeted) expect(scenarios, `a target names scenario ${s}`).toContain(s);
    for (const s of scenarios) expect([...targeted], `no planted bug targets ${s}`).toContain(s);
  });

  it("lists the issue's required defects", () => {
    expect(BUG_NAMES).toEqual(expect.arrayContaining([
      "podmaster-keeps-manifest", "podmaster-holds-lease-when-cut", "scheduler-usr1-child-survives", "scheduler-new-framework",
      "kubelet-no-restart", "nginx-no-next-upstream", "mesos-no-fence", "podmaster-slow-poll",
    ]));
  });

  it("a target's extra --set is a valid one", () => {
    for (const b of BUGS) for (const t of b.targets) if (t.sets) expect(() => applySetOverrides(FAST_SPEC, [...t.sets!])).not.toThrow();
  });
});

describe("--set bug.<name>", () => {
  it("switches bugs on and off, kept in catalogue order and recorded in the spec", () => {
    expect(SEED_SPEC.bugs).toEqual([]);
    expect(FAST_SPEC.bugs).toEqual([]);
    const on = applySetOverrides(FAST_SPEC, ["bug.mesos-no-fence=true", "bug.podmaster-keeps-manifest=TRUE", "bug.mesos-no-fence=true"]);
    expect(on.bugs).toEqual(["podmaster-keeps-manifest", "mesos-no-fence"]);
    expect(applySetOverrides(on, ["bug.mesos-no-fence=false"]).bugs).toEqual(["podmaster-keeps-manifest"]);
  });

  it("an unknown bug is E_INPUT naming the valid ones; a value other than true/false too", () => {
    const err = thrown(() => applySetOverrides(FAST_SPEC, ["bug.podmaster-keeps-manifets=true"]));
    expect(err.code).toBe("E_INPUT");
    expect(err.message).toContain('unknown bug "podmaster-keeps-manifets"');
    expect(err.hint).toContain("podmaster-keeps-manifest");
    for (const b of BUG_NAMES) expect(err.hint).toContain(b);
    expect(thrown(() => applySetOverrides(FAST_SPEC, ["bug.=true"])).message).toContain('unknown bug ""');
    expect(thrown(() => applySetOverrides(FAST_SPEC, ["bug.mesos-no-fence=yes"])).message).toMatch(/expected true or false, got "yes"/);
  });

  it("validates a spec's `bugs` like every other field", () => {
    expect(validateTopologySpec({ bugs: ["mesos-no-fence", "kubelet-no-restart"] }).bugs).toEqual(["kubelet-no-restart", "mesos-no-fence"]);
    const err = thrown(() => validateTopologySpec({ bugs: ["nope"] }));
    expect(err.message).toMatch(/`bugs` names an unknown bug "nope"/);
    expect(err.hint).toContain("mesos-no-fence");
    expect(thrown(() => validateTopologySpec({ bugs: "mesos-no-fence" })).message).toMatch(/`bugs` must be an array/);
    expect(thrown(() => validateTopologySpec({ bugs: ["mesos-no-fence", "mesos-no-fence"] })).message).toMatch(/names a bug twice/);
  });

  it("is shown among the --set keys (--list, help, error hints)", () => {
    const help = setKeysHelp();
    for (const b of BUGS) expect(help).toContain(`bug.${b.name}=<true|false: planted ${b.component} bug>`);
  });
});

describe("rendering the bugs into the containers", () => {
  const addrs = planAddresses(SEED_SPEC, "10.213.7");
  type Pod = { spec: { containers: { name: string; env?: { name: string; value: string }[] }[] } };
  const envOf = (text: string | undefined): (string | undefined)[] =>
    (parse(text!) as Pod).spec.containers.map((c) => c.env?.find((e) => e.name === BUGS_ENV)?.value);

  it("puts each component's bugs in K8SM_BUGS of its containers only", () => {
    const spec = applySetOverrides(FAST_SPEC, BUG_NAMES.map((b) => `bug.${b}=true`));
    const files = renderMasterFiles(spec, addrs, 1, templates);
    expect(envOf(files["/etc/kubernetes/manifests/podmaster.yaml"])).toEqual(Array(2).fill(bugsOf("podmaster", BUG_NAMES).join(",")));
    expect(envOf(files["/srv/kubernetes/manifests/scheduler.yaml"])).toEqual([bugsOf("scheduler", BUG_NAMES).join(",")]);
    expect(envOf(files["/etc/kubernetes/manifests/apiserver.yaml"])).toEqual([undefined]);
    expect(bugEnv(spec, "kubelet")).toEqual({ [BUGS_ENV]: "kubelet-no-restart" });
    expect(bugEnv(spec, "mesos-master")).toEqual({ [BUGS_ENV]: "mesos-no-fence" });
  });

  it("renders nothing for a spec without bugs, and keeps the scheduler's other env", () => {
    const files = renderMasterFiles(FAST_SPEC, addrs, 1, templates);
    expect(envOf(files["/etc/kubernetes/manifests/podmaster.yaml"])).toEqual([undefined, undefined]);
    expect(bugEnv(FAST_SPEC, "kubelet")).toEqual({});
    const spec = applySetOverrides(FAST_SPEC, ["bug.scheduler-new-framework=true"]);
    const env = (parse(renderMasterFiles(spec, addrs, 1, templates)["/srv/kubernetes/manifests/scheduler.yaml"]!) as Pod).spec.containers[0]!.env!;
    expect(env).toEqual(expect.arrayContaining([{ name: "K8SM_HA_TTL_SECS", value: "6" }, { name: BUGS_ENV, value: "scheduler-new-framework" }]));
  });

  it("nginx-no-next-upstream turns proxy_next_upstream off in both servers (not just drops it: nginx's default still reroutes)", () => {
    const seed = renderNginxConf(templates.nginx, addrs);
    expect(seed.match(/proxy_next_upstream\s+error timeout invalid_header http_500;/g)).toHaveLength(2);
    const bugged = renderNginxConf(templates.nginx, addrs, ["nginx-no-next-upstream"]);
    expect(bugged).not.toMatch(/proxy_next_upstream\s+error/);
    expect(bugged.match(/^\s*proxy_next_upstream\s+off;/gm)).toHaveLength(2);
    expect(bugged.replace(/^.*proxy_next_upstream.*\n/gm, "")).toBe(seed.replace(/^.*proxy_next_upstream.*\n/gm, ""));
  });
});
