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

require(path.join(root, "clients", "evidence", "cli.ts"))
  .main(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  })
  .catch((e) => {
    process.stderr.write(`colend: internal error: ${e && e.stack ? e.stack : e}\n`);
    process.exitCode = 2;
  });
