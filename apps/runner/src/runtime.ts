import type { DependencyContainer } from "tsyringe";
import type { PluginRegistry } from "@quantforge/core";

/** Something text can be written to (a process stream, or a buffer in tests). */
export interface TextWriter {
  write(chunk: string): unknown;
}

/** Where the CLI's output goes; `main` takes one so tests can run commands in-process. */
export interface RuntimeIO {
  readonly stdout: TextWriter;
  readonly stderr: TextWriter;
  /** True when stderr is an interactive terminal (progress is drawn only then). */
  readonly isTTY: boolean;
}

/**
 * What every command gets: the plugin registry, the root DI container (per-run child containers
 * are made from it), the output writers and the global flags. One instance per `main` call, so
 * in-process runs never share state.
 */
export class Runtime {
  /** Print stack traces and error causes (`--verbose`). */
  verbose = false;

  constructor(
    /** The root container with every plugin registered on it. */
    readonly container: DependencyContainer,
    /** The registry built from the registered plugins. */
    readonly registry: PluginRegistry,
    /** Output writers and terminal detection. */
    readonly io: RuntimeIO,
  ) {}

  /** True when stderr is a terminal. */
  get isTTY(): boolean {
    return this.io.isTTY;
  }

  /** Writes to stdout (results only: tables, JSON). */
  out(text: string): void {
    this.io.stdout.write(text);
  }

  /** Writes to stderr (errors, diagnostics, progress). */
  err(text: string): void {
    this.io.stderr.write(text);
  }
}
