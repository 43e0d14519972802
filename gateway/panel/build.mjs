// Bundles the agent's panel (src/main.ts) and the supervisor's console (src/console/main.ts, with uPlot)
// into dist/assets/ and copies their pages; ~100 ms.
import { copyFile, mkdir, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, "dist");

await rm(dist, { recursive: true, force: true });
await mkdir(join(dist, "assets"), { recursive: true });
const bundle = (entry, out) =>
  build({
    entryPoints: [entry],
    bundle: true,
    format: "esm",
    target: "es2022",
    minify: true,
    sourcemap: true,
    legalComments: "linked",
    outfile: join(dist, "assets", out),
    logLevel: "warning",
  });
await bundle(join(here, "src", "main.ts"), "panel.js");
await bundle(join(here, "src", "console", "main.ts"), "console.js");
await copyFile(join(here, "src", "panel.css"), join(dist, "assets", "panel.css"));
await copyFile(join(here, "src", "index.html"), join(dist, "index.html"));
await copyFile(join(here, "src", "console", "console.css"), join(dist, "assets", "console.css"));
await copyFile(join(here, "node_modules", "uplot", "dist", "uPlot.min.css"), join(dist, "assets", "uplot.css"));
await copyFile(join(here, "src", "console", "console.html"), join(dist, "console.html"));
