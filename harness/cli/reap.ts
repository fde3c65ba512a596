/**
 * `npm run reap [-- --all] [--engine URL]`: removes the containers and networks of harness runs whose process is
 * gone (see harness/docker/reaper.ts; on another engine, harness/remote/reap.ts). Exit 0 when everything orphaned is gone, 2 when the engine
 * does not answer or something could not be removed.
 */
import { getDocker } from "../docker/client.js";
import { reap } from "../docker/reaper.js";
import { reapOnEngine } from "../remote/index.js";
import { parseEngineUrl } from "../remote/engine-url.js";
import { defineCommand, runCommand, safeWriter } from "./shell.js";

const reapCommand = defineCommand({
  name: "reap",
  usage: "npm run reap [-- --all] [--engine URL]",
  summary: "Removes containers and networks left by harness runs whose process is gone.",
  options: { all: { type: "boolean" }, engine: { type: "string" } },
  optionHelp: {
    all: "also remove those created on other hosts (their processes cannot be checked from here)",
    engine: ["URL", "reap on this Docker engine (unix://, tcp://, ssh://, as for npm run scenario -- --engine): its runner containers whose process here is gone, then the reaper in a runner there"],
  },
  parse: (args) => ({ ...args, target: args.values.engine === undefined ? undefined : parseEngineUrl(args.values.engine) }),
  async run(ctx) {
    if (ctx.input.target) {
      const [stdout, stderr] = [safeWriter(process.stdout), safeWriter(process.stderr)];
      const r = await reapOnEngine(ctx.input.target, { all: ctx.args.values.all ?? false, signal: ctx.signal, progress: ctx.progress, stdout: (c) => stdout(c.toString()), stderr: (c) => stderr(c.toString()) });
      for (const x of r.runners) ctx.out(`removed runner container ${x.name} (pid ${x.pid ?? "?"} on ${x.host ?? "?"})`);
      return r.code ?? 2;
    }
    const docker = await getDocker();
    const { removed, failed } = await reap({ docker, all: ctx.args.values.all ?? false });
    for (const r of removed) ctx.out(`removed ${r.kind} ${r.name} (run ${r.runId}, pid ${r.pid ?? "?"} on ${r.host ?? "?"})`);
    for (const f of failed) ctx.progress(`could not remove ${f.resource.kind} ${f.resource.name}: ${f.error.message}`);
    if (removed.length === 0 && failed.length === 0) ctx.out("nothing to reap");
    return failed.length > 0 ? 2 : 0;
  },
});

process.exitCode = await runCommand(reapCommand, process.argv.slice(2));
