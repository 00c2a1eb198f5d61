// Preloaded (`node --import ./bench/rss-hook.mjs …`) into a process the CLI bench times as a whole: at exit it writes
// the process's peak RSS (KiB, `process.resourceUsage().maxRSS`, native memory such as DuckDB's included) to the file
// named by BENCH_RSS_FILE.
import { writeFileSync } from 'node:fs';

const file = process.env.BENCH_RSS_FILE;
if (file) process.on('exit', () => writeFileSync(file, String(process.resourceUsage().maxRSS)));
