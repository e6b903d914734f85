// `npm run build` (and `prepare`, so `npm pack` and installs from a folder or git build too):
// src/ compiled to dist/ as ES modules with declarations. tsc does not copy a hand-written
// .d.ts, so the generated types, src/schema.d.ts, are copied beside the index.d.ts that
// imports them.
import { execFileSync } from "node:child_process";
import { copyFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";

const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
rmSync("dist", { recursive: true, force: true });
execFileSync(process.execPath, [tsc, "-p", "tsconfig.build.json"], { stdio: "inherit" });
copyFileSync("src/schema.d.ts", "dist/schema.d.ts");
