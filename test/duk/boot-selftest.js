// Self-test of build/bundle/boot.js under duk (update.js is loaded first for its header and writer
// code). Run: duk shim.js update.js boot.js boot-selftest.js
function write(img, slot) {
  var w = new TypeBootUpdate.ImageWriter({ flash: __Flash, crc32: E.CRC32 }, __board, slot);
  for (var o = 0; o < img.length; o += 1024) w.push(img.subarray(o, Math.min(img.length, o + 1024)));
  return w.finish(__board.mode === "direct");
}

var r = TypeBootBoot.main();
check("empty flash: update mode", r.decision.action === "update" && /no valid application/.test(r.decision.reason), r.decision.reason);

var v1 = makeImage("1.2.3", 4000, 3);
check("an image is written into the application slot", write(v1, __board.app) === null);
r = TypeBootBoot.main();
check("valid confirmed image: run, jump to its vector table", r.decision.action === "run" && __boot.jumps[0] === 0x08040200, __boot.jumps[0]);

__boot.request = 0x55504454;
r = TypeBootBoot.main();
check("boot-request word: update mode, word cleared", r.decision.action === "update" && __boot.request === 0);
__boot.button = true;
r = TypeBootBoot.main();
check("button held: update mode", r.decision.action === "update");
__boot.button = false;

// staged layout of the F407: app sectors 6-7, staging 8-9, scratch 10
__board = {
  name: "stm324xg-eval", id: 1031, mode: "staged", headerSize: 512, trialAttempts: 2,
  bootloader: { addr: 0x08000000, size: 262144 }, app: { addr: 0x08040000, size: 262144 },
  staging: { addr: 0x08080000, size: 262144 }, scratch: { addr: 0x080c0000, size: 131072 }, record: { addr: 0x080e0000, size: 131072 }
};
var v2 = makeImage("2.0.0", 140000, 5);
check("a new image is staged", write(v2, __board.staging) === null);
r = TypeBootBoot.main();
check("staged image: installed, then trial boot 1", r.steps.length === 2 && /^install/.test(r.steps[0]) && /^trial/.test(r.steps[1]), r.steps.join(" | "));
check("the installed image is in the application slot", slotEquals(0x08040000, v2));
r = TypeBootBoot.main();
check("trial boot 2", /trial boot 2 of 2/.test(r.steps[0]), r.steps[0]);
r = TypeBootBoot.main();
check("no confirmation in 2 boots: the confirmed 1.2.3 is restored and runs", /^rollback/.test(r.steps[0]) && r.decision.action === "run", r.steps.join(" | "));
check("the restored image is byte-identical", slotEquals(0x08040000, v1));
var d = TypeBootBoot.decide({ button: false, requested: false, mode: "staged", trialAttempts: 3,
  app: { valid: true, confirmed: false, attempts: 3, version: "2.0.0", installed: false, rejected: false, problem: "", header: null },
  staging: { valid: true, confirmed: true, attempts: 0, version: "1.2.3", installed: false, rejected: false, problem: "", header: null } });
check("decide(): an unconfirmed image past its trials is rolled back", d.action === "rollback", d.action);
done();
