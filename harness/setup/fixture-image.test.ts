import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BUNDLE_OPTIONS, emulationEntries, WRAPPERS, wrapperScript } from "./fixture-image.js";
import { run } from "./exec.js";
import { isTestFile, TEST_HELPERS_DIR } from "./hash.js";

describe("fixture image contents", () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), "k8sm-fixture-test-"));
    for (const [dir, file] of [["km", "main.ts"], ["podmaster", "elector.ts"], ["common", "flags.ts"], ["kubelet", "main.ts"], ["testing", "main.ts"]]) {
      await mkdir(join(root, "fixtures/emulations", dir!), { recursive: true });
      await writeFile(join(root, "fixtures/emulations", dir!, file!), "\n");
    }
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it("bundles every emulation directory that has a main.ts, and only those (testing/ is no emulation)", async () => {
    expect(await emulationEntries(root)).toEqual({
      km: join(root, "fixtures/emulations/km/main.ts"),
      kubelet: join(root, "fixtures/emulations/kubelet/main.ts"),
    });
    expect(await emulationEntries(join(root, "nowhere"))).toEqual({});
  });

  it("bundles no test and no test helper into the real emulations", async () => {
    const entries = await emulationEntries();
    expect(Object.keys(entries)).toContain("km");
    const { metafile } = await build({ entryPoints: entries, outdir: join(root, "out"), write: false, metafile: true, ...BUNDLE_OPTIONS });
    const sources = Object.keys(metafile.inputs).filter((p) => !p.includes("node_modules/"));
    expect(sources).toContain("fixtures/emulations/common/duration.ts");
    expect(sources.filter((p) => isTestFile(p) || p.split("/").includes(TEST_HELPERS_DIR))).toEqual([]);
  }, 60_000);

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
