// Before any test: the compiled CLI (dist/cli/) is rebuilt if src/ changed since it was built, so CLI tests run
// bin/glueless.js — the command a user runs — on the current code.
import { buildCliIfStale } from '../../scripts/build-cli.mjs';

export default async function globalSetup() {
  // Node 20 is supported: the AWS SDK's Node 22 notice would only repeat in every test worker.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  await buildCliIfStale();
}
