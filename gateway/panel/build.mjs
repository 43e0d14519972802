// Bundles src/main.ts and the chat widget (both with socket.io-client) into dist/assets/, copies the page.
import { copyFile, mkdir, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, "dist");

await rm(dist, { recursive: true, force: true });
await mkdir(join(dist, "assets"), { recursive: true });
await build({
  entryPoints: [join(here, "src", "main.ts")],
  bundle: true,
  format: "esm",
  target: "es2022",
  minify: true,
  sourcemap: true,
  legalComments: "linked",
  outfile: join(dist, "assets", "panel.js"),
  logLevel: "warning",
});
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
