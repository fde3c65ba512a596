/** Entry point of `npm run nightly`: the harness's nightly job, given this catalogue. */
import { nightlyCli } from "../harness/index.js";
import { scenarios } from "./index.js";

process.exitCode = await nightlyCli(process.argv.slice(2), scenarios);
