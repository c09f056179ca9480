// Preloaded with `node --import` by lazy-imports.test.ts: a module loader hook that prints every
// module URL the process loads as "QF_LOADED <url>" on stderr, so the test sees what a command imported.
import { register } from "node:module";

const hook = `export async function load(url, context, next) {
  const r = await next(url, context);
  process.stderr.write("QF_LOADED " + url + "\\n");
  return r;
}`;
register(`data:text/javascript,${encodeURIComponent(hook)}`);
