/**
 * `npm run reap [-- --all] [--engine URL ...]`: removes the containers and networks of harness runs whose process is
 * gone (see harness/docker/reaper.ts; on another engine, harness/remote/reap.ts). `--engine` is
 * repeatable (`local` is this host's engine; a `,parallel=N` copied from a study's command line is
 * ignored): each engine is reaped in turn, one that fails does not stop the others. Exit 0 when
 * everything orphaned is gone, 2 when an engine does not answer or something could not be removed.
 */
import { getDocker } from "../docker/client.js";
import { reap } from "../docker/reaper.js";
import { formatError } from "../errors.js";
import { reapOnEngine } from "../remote/index.js";
import { parseEngineSpecs } from "../remote/engine-set.js";
import type { EngineTarget } from "../remote/engine-url.js";
import { defineCommand, runCommand, safeWriter } from "./shell.js";

const reapCommand = defineCommand({
  name: "reap",
  usage: "npm run reap [-- --all] [--engine URL ...]",
  summary: "Removes containers and networks left by harness runs whose process is gone.",
  options: { all: { type: "boolean" }, engine: { type: "string", multiple: true } },
  optionHelp: {
    all: "also remove those created on other hosts (their processes cannot be checked from here)",
    engine: ["URL", "reap on this Docker engine (local, unix://, tcp://, ssh://, as for npm run study -- --engine; repeatable): its runner containers whose process here is gone, then the reaper in a runner there"],
  },
  // Without --engine: this host's engine only.
  parse: (args) => ({ ...args, targets: args.values.engine?.length ? parseEngineSpecs(args.values.engine, { parallel: 1 }).map((s) => s.target) : [null] }),
  async run(ctx) {
    let code = 0;
    for (const target of ctx.input.targets) {
      if (ctx.signal.aborted) break;
      if (ctx.input.targets.length > 1) ctx.progress(`reaping on ${target?.url ?? "this host's engine"}`);
      code = Math.max(code, await reapOne(ctx, target, ctx.args.values.all ?? false).catch((err: unknown) => {
        if (ctx.input.targets.length === 1) throw err;
        ctx.progress(formatError(err));
        return 2;
      }));
    }
    return code;
  },
});

/** Reaps one engine: this host's (null) or another (in a runner there); the exit code for it. */
async function reapOne(ctx: { signal: AbortSignal; progress: (line: string) => void; out: (text: string) => void }, target: EngineTarget | null, all: boolean): Promise<number> {
  if (target) {
    const [stdout, stderr] = [safeWriter(process.stdout), safeWriter(process.stderr)];
    const r = await reapOnEngine(target, { all, signal: ctx.signal, progress: ctx.progress, stdout: (c) => stdout(c.toString()), stderr: (c) => stderr(c.toString()) });
    for (const x of r.runners) ctx.out(`removed runner container ${x.name} (pid ${x.pid ?? "?"} on ${x.host ?? "?"})`);
    return r.code ?? 2;
  }
  const docker = await getDocker();
  const { removed, failed } = await reap({ docker, all });
  for (const r of removed) ctx.out(`removed ${r.kind} ${r.name} (run ${r.runId}, pid ${r.pid ?? "?"} on ${r.host ?? "?"})`);
  for (const f of failed) ctx.progress(`could not remove ${f.resource.kind} ${f.resource.name}: ${f.error.message}`);
  if (removed.length === 0 && failed.length === 0) ctx.out("nothing to reap");
  return failed.length > 0 ? 2 : 0;
}

process.exitCode = await runCommand(reapCommand, process.argv.slice(2));
