// A child process's console (stdout and stderr) as lines: shared by the power-cut campaign
// (scripts/faults.mjs) and the tests that start the native simulator (test/runtime.test.mjs,
// test/helpers/target.mjs).

/** Append each complete line of the child's output to `lines`; call `changed()` after every chunk. */
export function collectLines(child, lines, changed) {
  let buf = "";
  const onData = (d) => {
    buf += d.toString();
    let i;
    while ((i = buf.indexOf("\n")) >= 0) {
      lines.push(buf.slice(0, i));
      buf = buf.slice(i + 1);
    }
    changed();
  };
  child.stdout.on("data", onData);
  child.stderr.on("data", onData);
}
