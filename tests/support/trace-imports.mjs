// `node --import ./tests/support/trace-imports.mjs …`: appends every module URL the process resolves to the file named
// by GLUELESS_TRACE_IMPORTS, one a line. Lets a test see what a command loads.
import { register } from 'node:module';
import { appendFileSync } from 'node:fs';

const file = process.env.GLUELESS_TRACE_IMPORTS;
if (file) {
  const { port1, port2 } = new MessageChannel();
  port1.on('message', (url) => appendFileSync(file, `${url}\n`));
  port1.unref();
  register(
    `data:text/javascript,${encodeURIComponent(
      'let port; export function initialize(data) { port = data.port; }' +
        'export async function resolve(specifier, context, next) { const r = await next(specifier, context); port.postMessage(r.url); return r; }',
    )}`,
    { data: { port: port2 }, transferList: [port2] },
  );
}
