import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HarnessError } from "../errors.js";
import { connectEngine, parseEngineUrl } from "./engine-url.js";

describe("parseEngineUrl", () => {
  let certs: string;
  beforeAll(async () => {
    certs = await mkdtemp(path.join(os.tmpdir(), "k8sm-certs-"));
    for (const f of ["ca.pem", "cert.pem", "key.pem"]) await writeFile(path.join(certs, f), "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
  });
  afterAll(() => rm(certs, { recursive: true, force: true }));

  it("unix:// is a socket path", () => {
    expect(parseEngineUrl("unix:///tmp/e2/docker.sock", {})).toMatchObject({ scheme: "unix", socketPath: "/tmp/e2/docker.sock", options: { socketPath: "/tmp/e2/docker.sock" } });
  });

  it("tcp:// is plain http, https with DOCKER_TLS_VERIFY=1 or port 2376 and the certificates of DOCKER_CERT_PATH", () => {
    expect(parseEngineUrl("tcp://10.0.0.5:2375", {}).options).toEqual({ protocol: "http", host: "10.0.0.5", port: "2375" });
    // As docker-modem takes DOCKER_HOST: no scheme is tcp://.
    expect(parseEngineUrl("10.0.0.5:2375", {})).toMatchObject({ scheme: "tcp", options: { host: "10.0.0.5", port: "2375" } });
    const tls = parseEngineUrl("tcp://build-2:2376", { DOCKER_CERT_PATH: certs }).options as { protocol: string; ca: Buffer; cert: Buffer; key: Buffer };
    expect(tls.protocol).toBe("https");
    expect(tls.ca.toString()).toContain("BEGIN CERTIFICATE");
    expect(parseEngineUrl("tcp://build-2:4243", { DOCKER_TLS_VERIFY: "1", DOCKER_CERT_PATH: certs }).options).toMatchObject({ protocol: "https", port: "4243" });
  });

  it("ssh:// takes the user, the port and the agent", () => {
    expect(parseEngineUrl("ssh://ci@build-3:2222", { SSH_AUTH_SOCK: "/run/agent.sock" }).options).toEqual({ protocol: "ssh", host: "build-3", port: "2222", username: "ci", sshOptions: { agent: "/run/agent.sock" } });
  });

  it.each([
    ["unix://docker.sock", /absolute socket path/],
    ["http://build-2:2375", /unknown scheme http/],
    ["tcp://build-2", /needs a port/],
    ["build-2", /needs a port/],
    ["not a url", /is not a URL/],
  ])("refuses %s with E_INPUT", (url, message) => {
    expect(() => parseEngineUrl(url, {})).toThrow(message);
    try {
      parseEngineUrl(url, {});
    } catch (err) {
      expect((err as HarnessError).code).toBe("E_INPUT");
      expect((err as HarnessError).hint).toMatch(/unix:\/\/\/path/);
    }
  });

  it("refuses TLS without certificates, and certificates that are not there", () => {
    expect(() => parseEngineUrl("tcp://build-2:2376", {})).toThrow(/without DOCKER_CERT_PATH/);
    expect(() => parseEngineUrl("tcp://build-2:2375", { DOCKER_CERT_PATH: "/nonexistent" })).toThrow(/cannot read ca.pem/);
  });
});

describe("connectEngine", () => {
  it("an engine that does not answer is E_DOCKER_UNAVAILABLE naming the URL, with a hint", async () => {
    const err = await connectEngine(parseEngineUrl("unix:///nonexistent/docker.sock", {}), { pingTimeoutMs: 2_000 }).catch((e: unknown) => e as HarnessError);
    expect(err).toBeInstanceOf(HarnessError);
    expect((err as HarnessError).code).toBe("E_DOCKER_UNAVAILABLE");
    expect((err as HarnessError).message).toContain("unix:///nonexistent/docker.sock");
    expect((err as HarnessError).hint).toContain("DOCKER_HOST=unix:///nonexistent/docker.sock docker info");
  });
});
