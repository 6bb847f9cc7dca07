// Runs as a child of bench/workstation.ts: the workstation's foreground work, a fixed CPU task (build, serialise, parse
// and sort a record list, as an app does with a patient list) timed `count` times; prints the times in ms as JSON.
const count = Number(process.argv[2] ?? 20);

function task(): number {
  const records = Array.from({ length: 40_000 }, (_, i) => ({ id: i, name: `record ${(i * 7919) % 40_000}`, value: Math.sin(i) }));
  const parsed = JSON.parse(JSON.stringify(records)) as typeof records;
  parsed.sort((a, b) => a.name.localeCompare(b.name));
  return parsed[0]!.value;
}

task(); // warm the JIT: the first run pays for compiling
const times: number[] = [];
for (let i = 0; i < count; i++) {
  const started = performance.now();
  task();
  times.push(performance.now() - started);
}
console.log(JSON.stringify(times));
