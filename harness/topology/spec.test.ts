import { describe, expect, it } from "vitest";
import { InputError } from "../errors.js";
import { applySetOverrides, FAST_SPEC, SEED_SPEC, validateTopologySpec } from "./spec.js";

const rejects = (input: unknown, field: RegExp): void => {
  let err: unknown;
  try {
    validateTopologySpec(input);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(InputError);
  expect((err as Error).message).toMatch(field);
};

describe("validateTopologySpec", () => {
  it("returns the seed's defaults for an empty input", () => {
    const spec = validateTopologySpec({});
    expect(spec).toEqual(SEED_SPEC);
    expect(spec.podmaster).toEqual({ ttlSecs: 30, sleepMs: 5000, variant: "A", etcdApi: "v2" });
    expect(spec.kubelet).toEqual({ fileCheckFrequencyMs: 20000, syncFrequencyMs: 10000 });
    expect(spec.masters).toBe(2);
    expect(Object.isFrozen(spec.podmaster)).toBe(true);
  });

  it("merges a partial input field by field", () => {
    const spec = validateTopologySpec({ masters: 3, podmaster: { ttlSecs: 6 } });
    expect(spec.masters).toBe(3);
    expect(spec.podmaster).toEqual({ ...SEED_SPEC.podmaster, ttlSecs: 6 });
  });

  it.each([
    [{ podmaster: { ttlSecs: 0 } }, /`podmaster\.ttlSecs` must be between 1 and/],
    [{ masters: 0 }, /`masters` must be between 1/],
    [{ agents: -1 }, /`agents` must be between 1/],
    [{ masters: "2" }, /`masters` must be a number, got "2"/],
    [{ masters: 2.5 }, /`masters` must be an integer/],
    [{ podmaster: { sleepMs: Number.NaN } }, /`podmaster\.sleepMs` must be a number/],
    [{ kubelet: { fileCheckFrequencyMs: 10 * 24 * 3600_000 } }, /`kubelet\.fileCheckFrequencyMs` must be between/],
    [{ podmaster: { ttlSecs: 1e9 } }, /`podmaster\.ttlSecs`/],
    [{ etcdMembers: 2 }, /`etcdMembers` must be one of 1, 3/],
    [{ mode: "warm" }, /`mode` must be one of "cold-standby", "hot-standby"/],
    [{ podmaster: { variant: "D" } }, /`podmaster\.variant` must be one of "A", "B", "C"/],
    [{ scheduler: { flags: { "advertised-address": 5 } } }, /`scheduler\.flags\.advertised-address` must be a string/],
    [{ scheduler: { flags: { "--bad": "x" } } }, /`scheduler\.flags\.--bad` is not a valid flag/],
    [{ masterOverrides: { 3: { schedulerFlags: {} } } }, /`masterOverrides\.3` names master 3, but the topology has 2/],
    [{ masterOverrides: { 0: {} } }, /`masterOverrides\.0` is not a master index/],
    [{ masterOverrides: { 1: { flags: {} } } }, /`masterOverrides\.1\.flags` is not a known field/],
    [{ images: { etcd: "" } }, /`images\.etcd` must be a non-empty string/],
    [{ podmaster: 5 }, /`podmaster` must be an object/],
  ])("rejects %j naming the field", (input, field) => rejects(input, field));

  it("rejects unknown fields, top level and nested, listing the valid ones", () => {
    rejects({ master: 2 }, /unknown field `master`/);
    rejects({ podmaster: { ttl: 6 } }, /unknown field `podmaster\.ttl`/);
    try {
      validateTopologySpec({ podmaster: { ttl: 6 } });
    } catch (e) {
      expect((e as InputError).hint).toMatch(/podmaster\.ttlSecs/);
    }
  });
});

describe("applySetOverrides", () => {
  it("maps the flat keys onto the spec", () => {
    const spec = applySetOverrides(SEED_SPEC, [
      "ttl-secs=6", "sleep=1s", "file-check-frequency=1s", "sync-frequency=1500ms", "masters=3", "agents=1",
      "etcd-members=3", "mode=hot-standby", "podmaster-variant=B", "scheduler.advertised-address=10.0.0.9:81",
      "master.2.scheduler.advertised-address=10.0.0.22:10251", "failover-timeout=60", "image.etcd=my/etcd:1",
    ]);
    expect(spec.podmaster).toEqual({ ttlSecs: 6, sleepMs: 1000, variant: "B", etcdApi: "v2" });
    expect(spec.kubelet).toEqual({ fileCheckFrequencyMs: 1000, syncFrequencyMs: 1500 });
    expect([spec.masters, spec.agents, spec.etcdMembers, spec.mode]).toEqual([3, 1, 3, "hot-standby"]);
    expect(spec.scheduler.flags).toEqual({ "advertised-address": "10.0.0.9:81" });
    expect(spec.masterOverrides[2]).toEqual({ schedulerFlags: { "advertised-address": "10.0.0.22:10251" } });
    expect(spec.mesos.failoverTimeoutSecs).toBe(60);
    expect(spec.images.etcd).toBe("my/etcd:1");
    expect(SEED_SPEC.podmaster.ttlSecs).toBe(30);
  });

  it("names the valid keys on an unknown key", () => {
    expect(() => applySetOverrides(SEED_SPEC, ["ttl=6"])).toThrow(InputError);
    try {
      applySetOverrides(SEED_SPEC, ["ttl=6"]);
    } catch (e) {
      expect((e as InputError).message).toMatch(/unknown key "ttl"/);
      expect((e as InputError).hint).toMatch(/ttl-secs=.*file-check-frequency=.*master\.<i>\.scheduler\.<flag>/);
    }
  });

  it.each([
    ["ttl-secs=0", /podmaster\.ttlSecs/],
    ["ttl-secs=abc", /ttl-secs: expected an integer/],
    ["sleep=5", /sleep: missing unit in duration "5"/],
    ["masters=0", /`masters`/],
    ["mode=warm", /`mode` must be one of/],
    ["master.3.scheduler.v=1", /masterOverrides\.3/],
    ["novalue", /expected key=value/],
  ])("validates %s", (set, message) => {
    expect(() => applySetOverrides(SEED_SPEC, [set])).toThrow(message);
  });
});

describe("profiles", () => {
  it("fast profile shortens the timers only", () => {
    expect(FAST_SPEC.podmaster).toMatchObject({ ttlSecs: 6, sleepMs: 1000 });
    expect(FAST_SPEC.kubelet).toEqual({ fileCheckFrequencyMs: 1000, syncFrequencyMs: 1000 });
    expect(validateTopologySpec({}, FAST_SPEC)).toEqual(FAST_SPEC);
  });

});
