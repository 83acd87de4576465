#!/usr/bin/env node
"use strict";
// The `colend` command. Loads the TypeScript CLI through ts-node in transpile-only mode, so it
// runs straight from a checkout: no Hardhat, no compilation, no chain.
const path = require("node:path");

const root = path.join(__dirname, "..");
require("ts-node").register({
  transpileOnly: true,
  projectSearchDir: root,
  compilerOptions: { module: "commonjs" },
});

// Exits explicitly once the output is flushed: nothing left behind (an unanswered socket, a timer)
// may keep the process alive. Internal errors are one line (COLEND_DEBUG=1 prints the stack).
const exit = (code) => {
  process.exitCode = code;
  process.stdout.write("", () => process.stderr.write("", () => process.exit(code)));
};
process.on("uncaughtException", (e) => {
  process.stderr.write(`colend: internal error: ${oneLine(e)}\n`);
  exit(2);
});

function oneLine(e) {
  if (process.env.COLEND_DEBUG && e && e.stack) return e.stack;
  const m = e && e.message ? e.message : String(e);
  let out = "";
  for (const ch of String(m).slice(0, 300)) out += ch < " " || (ch >= "\u007f" && ch < "\u00a0") ? " " : ch;
  return out;
}

require(path.join(root, "clients", "evidence", "cli.ts"))
  .main(process.argv.slice(2))
  .then(exit, (e) => {
    process.stderr.write(`colend: internal error: ${oneLine(e)}\n`);
    exit(2);
  });
