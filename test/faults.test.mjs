// The power-cut campaign in its reduced form (scripts/faults.mjs --quick): every scenario (direct
// update, staged update on both boards' layouts, rollback) cut before / after / in the middle of
// flash operations spread over the whole update, plus 60 seeded random cuts (a sixth of them double
// faults), each flash state in a fresh native simulator process. `npm run faults` runs them all.
import test from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { ROOT } from "./helpers/host.mjs";

test("power-cut campaign (reduced): zero failures over every scenario; the report says so", { timeout: 240000 }, () => {
  const report = path.join(ROOT, "build", "faults-quick.json");
  fs.rmSync(report, { force: true });
  const seed = 12345 + (Date.now() % 1000);
  const r = spawnSync(process.execPath, [path.join(ROOT, "scripts", "faults.mjs"), "--quick", "--seed", String(seed), "--report", report], { encoding: "utf8", timeout: 230000 });
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, new RegExp(`seed ${seed}`));
  const j = JSON.parse(fs.readFileSync(report, "utf8"));
  assert.equal(j.failures, 0);
  assert.equal(j.seed, seed);
  assert.ok(j.cases >= 200, `${j.cases} cases`);
  for (const m of ["direct", "staged-f407", "staged-f429", "rollback"]) {
    assert.ok(j.modes[m].ops > 20, `${m}: ${j.modes[m].ops} operations`);
    assert.ok(j.modes[m].cutsHappened >= 30, `${m}: ${j.modes[m].cutsHappened} cuts happened`);
    assert.equal(j.modes[m].failures, 0);
  }
  // Each scenario ended both ways somewhere: old image or new image (or update mode in direct mode).
  assert.ok(j.modes["staged-f429"].outcomes["runs 1.0.0"] > 0 && j.modes["staged-f429"].outcomes["runs 2.0.0"] > 0);
  assert.ok(j.modes.direct.outcomes["update mode"] > 0);
  assert.ok(j.random.doubleFaults > 0, "some random cases cut the recovery boot too");
});
