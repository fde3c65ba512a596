/**
 * `npm run reap [-- --all]`: removes the containers and networks of harness runs whose process is
 * gone (see harness/docker/reaper.ts). Exit 0 when everything orphaned is gone, 2 when the engine
 * does not answer or something could not be removed.
 */
import { getDocker } from "../docker/client.js";
import { reap } from "../docker/reaper.js";
import { defineCommand, runCommand } from "./shell.js";

const reapCommand = defineCommand({
  name: "reap",
  usage: "npm run reap [-- --all]",
  summary: "Removes containers and networks left by harness runs whose process is gone.",
  options: { all: { type: "boolean" } },
  optionHelp: { all: "also remove those created on other hosts (their processes cannot be checked from here)" },
  async run(ctx) {
    const docker = await getDocker();
    const { removed, failed } = await reap({ docker, all: ctx.args.values.all ?? false });
    for (const r of removed) ctx.out(`removed ${r.kind} ${r.name} (run ${r.runId}, pid ${r.pid ?? "?"} on ${r.host ?? "?"})`);
    for (const f of failed) ctx.progress(`could not remove ${f.resource.kind} ${f.resource.name}: ${f.error.message}`);
    if (removed.length === 0 && failed.length === 0) ctx.out("nothing to reap");
    return failed.length > 0 ? 2 : 0;
  },
});

process.exitCode = await runCommand(reapCommand, process.argv.slice(2));
