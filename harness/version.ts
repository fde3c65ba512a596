/** Which harness code ran: for `--version`, result.json and the bench report. */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { PROJECT_ROOT } from "./paths.js";

export interface GitInfo {
  /** Full commit hash of HEAD; null outside a git checkout (or without git). */
  commit: string | null;
  /** Uncommitted changes to tracked files; null when unknown. */
  dirty: boolean | null;
}

/** HEAD and whether tracked files differ from it. Synchronous (two short `git` calls), never throws. */
export function gitInfo(cwd: string = PROJECT_ROOT): GitInfo {
  const git = (args: string[]) => execFileSync("git", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], timeout: 5_000 });
  try {
    const commit = git(["rev-parse", "HEAD"]).trim();
    const status = git(["status", "--porcelain", "--untracked-files=no"]);
    return { commit, dirty: status.trim() !== "" };
  } catch {
    // A runner container (harness/remote/) holds no checkout: its caller's, when handed over.
    const handed = process.env.K8SM_GIT_COMMIT;
    if (handed && /^[0-9a-f]{40}$/.test(handed)) return { commit: handed, dirty: process.env.K8SM_GIT_DIRTY === "1" };
    return { commit: null, dirty: null };
  }
}

/**
 * package.json's version and the short commit (12 hex, `-dirty` appended when tracked files were
 * changed), or `unknown` where there is no git checkout (a copied tree, no git installed).
 */
export function harnessVersion(): { version: string; commit: string } {
  let version = "unknown";
  try {
    version = String((JSON.parse(readFileSync(path.join(PROJECT_ROOT, "package.json"), "utf8")) as { version?: unknown }).version ?? "unknown");
  } catch {
    // A tree without package.json cannot run the harness; keep the report writable anyway.
  }
  const git = gitInfo();
  const commit = git.commit ? `${git.commit.slice(0, 12)}${git.dirty ? "-dirty" : ""}` : "unknown";
  return { version, commit };
}
