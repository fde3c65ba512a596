import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { emulationEntries, WRAPPERS, wrapperScript } from "./fixture-image.js";
import { run } from "./exec.js";

describe("fixture image contents", () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "k8sm-fixture-test-"));
    for (const [dir, file] of [["km", "main.ts"], ["podmaster", "elector.ts"], ["common", "flags.ts"], ["kubelet", "main.ts"]]) {
      await mkdir(join(root, "fixtures/emulations", dir!), { recursive: true });
      await writeFile(join(root, "fixtures/emulations", dir!, file!), "\n");
    }
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it("bundles every emulation directory that has a main.ts, and only those", async () => {
    expect(await emulationEntries(root)).toEqual({
      km: join(root, "fixtures/emulations/km/main.ts"),
      kubelet: join(root, "fixtures/emulations/kubelet/main.ts"),
    });
    expect(await emulationEntries(join(root, "nowhere"))).toEqual({});
  });

  it("has the seed's command paths, the agent under its Mesos 0.24 name", () => {
    expect(Object.fromEntries(WRAPPERS.map((w) => [w.path, w.bundle]))).toEqual({
      "/opt/kubernetes/km": "km",
      "/podmaster": "podmaster",
      "/usr/local/bin/kubelet": "kubelet",
      "/usr/local/bin/mesos-master": "mesos-master",
      "/usr/local/bin/mesos-slave": "mesos-agent",
    });
  });

  it("a wrapper whose bundle was not built says so and exits 127", async () => {
    const script = join(root, "wrapper.sh");
    await writeFile(script, wrapperScript("k8sm-no-such-bundle"));
    const res = await run("sh", [script, "--flag"]);
    expect(res.code).toBe(127);
    expect(res.output.trim()).toBe("k8sm-no-such-bundle emulation not built");
  });
});
