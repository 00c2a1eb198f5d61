// Preloaded (`node --import ./bench/rss-hook.mjs …`) into a process the CLI bench times as a whole: at exit it writes
// the process's peak RSS (KiB, `process.resourceUsage().maxRSS`, native memory such as DuckDB's included) and its CPU
// time (user + system, µs; on a shared machine less disturbed by other work than wall time) to BENCH_RSS_FILE.
import { writeFileSync } from 'node:fs';

const file = process.env.BENCH_RSS_FILE;
if (file) {
  process.on('exit', () => {
    const usage = process.resourceUsage();
    writeFileSync(file, JSON.stringify({ maxRssKb: usage.maxRSS, cpuUs: usage.userCPUTime + usage.systemCPUTime }));
  });
}
