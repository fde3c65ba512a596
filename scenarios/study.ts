/** Entry point of `npm run study`: the harness's study CLI, given this catalogue and the shorthands in scenarios/studies/. */
import path from "node:path";
import { studyCli } from "../harness/index.js";
import { scenarios } from "./index.js";

process.exitCode = await studyCli(process.argv.slice(2), { catalogue: scenarios, studiesDir: path.join(import.meta.dirname, "studies") });
