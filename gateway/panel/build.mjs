// Bundles the agent's panel (src/main.ts), the supervisor's console (src/console/main.ts, with uPlot) and
// the customer's chat widget (src/widget/widget.ts) into dist/assets/ and copies the pages.
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

// The customer's chat widget: one classic script any site can include (served at /chat/widget.js).
await build({
  entryPoints: [join(here, "src", "widget", "widget.ts")],
  bundle: true,
  format: "iife",
  target: "es2020",
  minify: true,
  sourcemap: true,
  legalComments: "linked",
  outfile: join(dist, "assets", "widget.js"),
  logLevel: "warning",
});
await copyFile(join(here, "src", "panel.css"), join(dist, "assets", "panel.css"));
await copyFile(join(here, "src", "index.html"), join(dist, "index.html"));
await copyFile(join(here, "src", "console", "console.css"), join(dist, "assets", "console.css"));
await copyFile(join(here, "node_modules", "uplot", "dist", "uPlot.min.css"), join(dist, "assets", "uplot.css"));
await copyFile(join(here, "src", "console", "console.html"), join(dist, "console.html"));
