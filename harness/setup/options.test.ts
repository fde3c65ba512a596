import { describe, expect, it } from "vitest";
import { HarnessError } from "../errors.js";
import { parseSetupArgs } from "./options.js";

const inputError = (fn: () => unknown): HarnessError => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(HarnessError);
    expect((err as HarnessError).code).toBe("E_INPUT");
    return err as HarnessError;
  }
  throw new Error("expected an InputError");
};

describe("parseSetupArgs", () => {
  it("defaults: full setup, no force, base from registry else debootstrap, debootstrap's own mirror", () => {
    expect(parseSetupArgs([], {})).toEqual({ fixturesOnly: false, force: false, baseFrom: "auto", mirror: undefined });
  });

  it("reads the flags", () => {
    const o = parseSetupArgs(["--fixtures-only", "--force", "--base-from=debootstrap", "--mirror", "http://deb.example.org/debian"], {});
    expect(o).toEqual({ fixturesOnly: true, force: true, baseFrom: "debootstrap", mirror: "http://deb.example.org/debian" });
  });

  it("reads K8SM_BASE_FROM and K8SM_DEBIAN_MIRROR, and a flag wins over the environment", () => {
    const env = { K8SM_BASE_FROM: "registry", K8SM_DEBIAN_MIRROR: "file:///srv/mirror" };
    expect(parseSetupArgs([], env)).toMatchObject({ baseFrom: "registry", mirror: "file:///srv/mirror" });
    expect(parseSetupArgs(["--base-from=auto"], env)).toMatchObject({ baseFrom: "auto" });
    expect(parseSetupArgs([], { K8SM_BASE_FROM: "", K8SM_DEBIAN_MIRROR: "" })).toMatchObject({ baseFrom: "auto", mirror: undefined });
  });

  it("rejects an unknown flag, a positional argument, and bad values, naming the option", () => {
    expect(inputError(() => parseSetupArgs(["--frobnicate"], {})).message).toMatch(/frobnicate/);
    inputError(() => parseSetupArgs(["kill-leader"], {}));
    expect(inputError(() => parseSetupArgs(["--base-from=ftp"], {})).message).toMatch(/--base-from.*"ftp"/);
    expect(inputError(() => parseSetupArgs([], { K8SM_BASE_FROM: "docker" })).message).toMatch(/K8SM_BASE_FROM.*"docker"/);
    expect(inputError(() => parseSetupArgs(["--mirror=deb.debian.org"], {})).message).toMatch(/--mirror/);
  });

  it("puts the usage in the hint, and a did-you-mean", () => {
    expect(inputError(() => parseSetupArgs(["--nope"], {})).hint).toMatch(/--fixtures-only/);
    expect(inputError(() => parseSetupArgs(["--fixture-only"], {})).message).toBe("unknown option --fixture-only; did you mean --fixtures-only?");
  });

  it("leaves --help and --version to the shell, whatever else is on the line", () => {
    expect(parseSetupArgs(["--help"], {})).toBeNull();
    expect(parseSetupArgs(["--bogus", "--version"], {})).toBeNull();
  });
});
