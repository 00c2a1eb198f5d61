/**
 * The primary-key sets at the sizes the tests leave out: a million order codes and a million dense ids, with the time
 * and bytes per key they take. `tsx bench/key-set.ts [keys]`.
 */
import { IntegerKeySet, StringKeySet } from '../src/pipeline/checks/key-set.js';

const count = Number(process.argv[2] ?? 1_000_000);

let started = performance.now();
const codes = new StringKeySet();
for (let i = 0; i < count; i++) codes.firstLineOrAdd(`ORD-2024-${String(i).padStart(9, '0')}`, i + 1);
const codesMs = performance.now() - started;
if (codes.firstLineOrAdd('ORD-2024-000123456', 5) !== 123_457) throw new Error('StringKeySet lost a key');
process.stdout.write(`StringKeySet: ${count.toLocaleString('en-US')} order codes in ${codesMs.toFixed(0)} ms, ${(codes.bytesHeld / codes.size).toFixed(1)} bytes a key\n`);

started = performance.now();
const ids = new IntegerKeySet();
for (let i = 0; i < count; i++) ids.firstLineOrAdd(1_000_000_000_000 + i, i + 1);
const idsMs = performance.now() - started;
process.stdout.write(`IntegerKeySet: ${count.toLocaleString('en-US')} dense ids in ${idsMs.toFixed(0)} ms, ${(ids.bytes / ids.size).toFixed(1)} bytes a key\n`);
