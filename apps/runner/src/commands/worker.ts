import type { Command } from "commander";
import type { Runtime } from "../runtime.js";
import type { WorkerFlags } from "../queue/worker-cli.js";

/** `quantforge worker`: runs the cells `compare --queue` puts on a BullMQ queue in Redis. */
export function register(program: Command, rt: Runtime): void {
  program
    .command("worker")
    .description("run compare cells from a job queue (compare --queue): start one or more per host, all on the same Redis")
    .option("--queue <redis://host:port[/db]>", "the Redis holding the queue (the same URL as compare --queue)")
    .option("--queue-name <name>", "the queue's name (default quantforge-cells; the same as compare --queue-name)")
    .option("--concurrency <n>", "cells at a time, each in its own worker thread (default 1)")
    .option("--data-root <dir>", "the folder the coordinator's inputs are under on this host (default: the working directory); the worker reads no input outside it")
    .option("--stall-seconds <s>", "lock time of a running cell: the cells of a worker that died are re-run elsewhere after about 1.5× this (default 30)")
    .option("--quiet", "no log lines on stderr")
    // BullMQ and ioredis load only when this command runs.
    .action(async (flags: WorkerFlags) => (await import("../queue/worker-cli.js")).workerCommand(rt, flags));
}
