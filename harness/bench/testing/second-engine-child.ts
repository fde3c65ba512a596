/** Test child: starts a second engine, prints its folder, and waits to be killed (second-engine.docker.test.ts). */
import { startSecondEngine } from "../second-engine.js";

const engine = await startSecondEngine();
process.stdout.write(`${engine.dir}\n`);
setInterval(() => {}, 60_000);
