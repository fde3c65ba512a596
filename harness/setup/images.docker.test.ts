import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HarnessError } from "../errors.js";
import { run } from "./exec.js";
import { WRAPPERS } from "./fixture-image.js";
import { fixtureHash, resolveImages, STALE_FIXTURES_WARNING, writeImagesFile, type Images } from "./images.js";

// Needs `npm run setup` to have run (as the docker tier always does).
describe("images built by npm run setup", () => {
  let images: Images;
  let other: string;
  const warnings: string[] = [];
  beforeAll(async () => {
    images = await resolveImages({ onWarning: (w) => warnings.push(w) });
    other = await mkdtemp(join(tmpdir(), "k8sm-images-docker-test-"));
  });
  afterAll(async () => {
    await rm(other, { recursive: true, force: true });
  });

  it("resolveImages returns the two tags of build/images.json, both in the engine", () => {
    expect(images.base).toMatch(/^k8sm-harness\/base:[0-9a-f]{12}$/);
    expect(images.k8sm).toMatch(/^k8sm-harness\/k8sm:[0-9a-f]{12}$/);
  });

  it("the fixture image carries this machine's node, etcd 3.4, nginx, iproute2 and iptables", async () => {
    const res = await run("docker", ["run", "--rm", images.k8sm, "sh", "-c",
      "node --version && etcd --version && nginx -v && ip -V && iptables -V && ls /opt/k8sm/proto"], { timeoutMs: 60_000 });
    expect(res.code).toBe(0);
    expect(res.output).toContain(process.version);
    expect(res.output).toMatch(/etcd Version: 3\.4\./);
    expect(res.output).toMatch(/nginx version: nginx\//);
    expect(res.output).toMatch(/iproute2/);
    expect(res.output).toMatch(/iptables v1\./);
    expect(res.output).toContain("rpc.proto");
  });

  it("every wrapper runs its bundle, or says it was not built and exits 127", async () => {
    const script = WRAPPERS.map((w) =>
      `if [ -f /opt/k8sm/bin/${w.bundle}.cjs ]; then echo "${w.path} built"; else ${w.path} >/dev/null 2>/tmp/err; echo "${w.path} $? $(cat /tmp/err)"; fi`,
    ).join("\n");
    const res = await run("docker", ["run", "--rm", images.k8sm, "sh", "-c", script], { timeoutMs: 60_000 });
    expect(res.code).toBe(0);
    for (const w of WRAPPERS) {
      expect(res.output).toMatch(new RegExp(`^${w.path} (built|127 ${w.bundle} emulation not built)$`, "m"));
    }
  });

  it("a tag missing from the engine is E_IMAGE_MISSING naming it", async () => {
    await writeImagesFile({ base: images.base, k8sm: "k8sm-harness/k8sm:000000000000" }, other);
    const err = (await resolveImages({ root: other }).catch((e: unknown) => e)) as HarnessError;
    expect(err.code).toBe("E_IMAGE_MISSING");
    expect(err.message).toContain("k8sm-harness/k8sm:000000000000");
    expect(err.hint).toBe("run npm run setup");
  });

  it("warns, without failing, when the fixture sources no longer match the fixture image", async () => {
    // `other` has no fixtures/ and no package-lock.json: its fixture hash differs from the built one.
    await writeImagesFile(images, other);
    const seen: string[] = [];
    expect(await resolveImages({ root: other, onWarning: (w) => seen.push(w) })).toEqual(images);
    expect(seen).toEqual([STALE_FIXTURES_WARNING]);
    expect(images.k8sm.endsWith(`:${await fixtureHash({ root: other, baseTag: images.base })}`)).toBe(false);
  });
});
