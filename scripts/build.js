#!/usr/bin/env node
/**
 * Transpiles the TypeScript the scripts run (clients/, scripts/, typechain-types/ and the Hardhat
 * config) to plain CommonJS in dist/, so `npm run demo` starts without compiling TypeScript
 * (ts-node spent several seconds of every start on it). Only files newer than their output are
 * transpiled again, and TypeScript itself is loaded only when one is. Type checking stays with
 * `npm run typecheck`.
 *
 * Usage: node scripts/build.js            (prints how many files it transpiled)
 */
"use strict";
const fs = require("node:fs");
const path = require("node:path");

const ROOT = path.resolve(__dirname, "..");
const SOURCES = ["clients", "scripts", "typechain-types"];

function* tsFiles(dir) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* tsFiles(full);
    else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts")) yield full;
  }
}

/** Transpiles every stale file under `sources` of `root` into `outDir`; returns the count transpiled. */
function buildDist(root = ROOT, outDir = path.join(ROOT, "dist"), sources = SOURCES) {
  const files = [path.join(root, "hardhat.config.ts")];
  for (const top of sources) {
    const dir = path.join(root, top);
    if (!fs.existsSync(dir)) {
      throw new Error(
        `${path.relative(process.cwd(), dir)} is missing${top === "typechain-types" ? ": run `npx hardhat compile` first" : ""}`,
      );
    }
    files.push(...tsFiles(dir));
  }
  let ts;
  let built = 0;
  for (const file of files) {
    const target = path.join(outDir, path.relative(root, file).replace(/\.ts$/, ".js"));
    if (fs.existsSync(target) && fs.statSync(target).mtimeMs >= fs.statSync(file).mtimeMs) continue;
    ts ??= require("typescript");
    let { outputText } = ts.transpileModule(fs.readFileSync(file, "utf8"), {
      compilerOptions: {
        module: ts.ModuleKind.CommonJS,
        target: ts.ScriptTarget.ES2022,
        esModuleInterop: true,
        sourceMap: false,
      },
      fileName: file,
    });
    if (path.basename(file) === "hardhat.config.ts") {
      // The compiled config lives in dist/: point Hardhat at the project's root for its paths.
      outputText +=
        '\nexports.default.paths = { ...exports.default.paths, root: require("node:path").resolve(__dirname, "..") };\n';
    }
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, outputText);
    built++;
  }
  // Code that finds node_modules relative to its own file (e.g. the anvil launcher) finds it here too.
  const link = path.join(outDir, "node_modules");
  if (!fs.existsSync(link)) fs.symlinkSync(path.relative(outDir, path.join(root, "node_modules")), link, "dir");
  return built;
}

module.exports = { buildDist };

if (require.main === module) {
  const started = Date.now();
  const n = buildDist();
  if (n > 0) console.log(`transpiled ${n} files to dist/ in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
