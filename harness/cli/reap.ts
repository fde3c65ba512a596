/**
 * `npm run reap [-- --all]`: removes the containers and networks of harness runs whose process is
 * gone (see harness/docker/reaper.ts). Exit 0 when everything orphaned is gone, 2 when the engine
 * does not answer or something could not be removed.
 */
import { parseArgs } from "node:util";
import { exitCodeFor, formatError, InputError } from "../errors.js";
import { getDocker } from "../docker/client.js";
import { reap } from "../docker/reaper.js";

const USAGE = `usage: npm run reap [-- --all]
  Removes containers and networks left by harness runs whose process is gone.
  --all   also remove those created on other hosts (their processes cannot be checked from here)`;

async function main(argv: string[]): Promise<number> {
  let all: boolean;
  try {
    const { values } = parseArgs({ args: argv, options: { all: { type: "boolean" }, help: { type: "boolean", short: "h" } } });
    if (values.help) {
      console.log(USAGE);
      return 0;
    }
    all = values.all ?? false;
  } catch (err) {
    throw new InputError((err as Error).message, USAGE);
  }
  const docker = await getDocker();
  const { removed, failed } = await reap({ docker, all });
  for (const r of removed) {
    console.log(`removed ${r.kind} ${r.name} (run ${r.runId}, pid ${r.pid ?? "?"} on ${r.host ?? "?"})`);
  }
  for (const f of failed) console.error(`could not remove ${f.resource.kind} ${f.resource.name}: ${f.error.message}`);
  if (removed.length === 0 && failed.length === 0) console.log("nothing to reap");
  return failed.length > 0 ? 2 : 0;
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (err: unknown) => {
    console.error(formatError(err));
    process.exitCode = exitCodeFor(err);
  },
);
