// Before any test: the compiled CLI (dist/cli/) is rebuilt if src/ changed since it was built, so CLI tests run
// bin/glueless.js — the command a user runs — on the current code.
import { buildCliIfStale } from '../../scripts/build-cli.mjs';

export default async function globalSetup() {
  await buildCliIfStale();
}
