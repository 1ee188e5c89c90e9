#!/usr/bin/env node
// The typeboot command. Builds the host tools on first use (a fresh clone has no build/ yet).
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const { spawnSync } = require("node:child_process");
const root = path.resolve(__dirname, "..");
const cli = path.join(root, "build", "host", "host", "cli.js");
if (!fs.existsSync(cli)) {
  const r = spawnSync(process.execPath, [path.join(root, "scripts", "build.mjs")], { stdio: ["ignore", "inherit", "inherit"] });
  if (r.status !== 0) process.exit(r.status || 1);
}
const code = require(cli).main(process.argv.slice(2));
if (typeof code === "number") process.exitCode = code;
