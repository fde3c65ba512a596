/** Entry point of `npm run scenario`: the harness CLI, given this catalogue. */
import { scenarioCli } from "../harness/index.js";
import { scenarios } from "./index.js";

process.exitCode = await scenarioCli(process.argv.slice(2), scenarios);
