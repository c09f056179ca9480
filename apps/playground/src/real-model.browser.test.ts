import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { unzipSync } from "fflate";
import * as tf from "@tensorflow/tfjs";
import { generateSamples, resolveInputLayout } from "@quantforge/datasets";
import { tfjsInputSpecs } from "@quantforge/io-tfjs";
import { APP, CHROMIUM, choose, inCI, openPlayground, runAndWait, skipBrowser, type Harness } from "./harness.test-support.js";
// The corpus's own fetcher: `npm pack` of the pinned version, checked against its integrity.
import { cacheDir, ensurePackage } from "../../../tooling/corpus/src/fetch.js";

/**
 * Acceptance of issue 21 on a real pretrained tfjs graph model — human's `emotion` (205k float32
 * weights, a conv net on 64×64 grey faces; MIT), fetched from npm like the corpus does (pinned
 * version and integrity in tooling/corpus/corpus.json; skipped when it cannot be fetched outside
 * CI). Uploaded as model.json + shard: ≥ 4 rows with model-output fidelity and an SVG chart
 * within 3 minutes, no console errors; one row's tfjs download, loaded by stock tfjs in Node on
 * the page's fidelity inputs (the shared seeded generator, seed 1, 32 samples), gives exactly
 * the outputs the page reported.
 */
const ID = "human/emotion";
interface Pinned {
  packages: { name: string; version: string; integrity: string; models: { id: string; path: string }[] }[];
}

async function fetchModel(): Promise<{ json: Buffer; shards: { name: string; buffer: Buffer }[] } | string> {
  const pinned = JSON.parse(readFileSync(join(APP, "../../tooling/corpus/corpus.json"), "utf8")) as Pinned;
  const pkg = pinned.packages.find((p) => p.models.some((m) => m.id === ID))!;
  const rel = pkg.models.find((m) => m.id === ID)!.path;
  try {
    const dir = await ensurePackage(cacheDir(undefined), pkg.name, pkg.version, pkg.integrity, () => undefined);
    const json = await readFile(join(dir, rel));
    const paths = (JSON.parse(json.toString("utf8")) as { weightsManifest: { paths: string[] }[] }).weightsManifest.flatMap((g) => g.paths);
    return { json, shards: await Promise.all(paths.map(async (p) => ({ name: p.split("/").pop()!, buffer: await readFile(join(dir, rel, "..", p)) }))) };
  } catch (e) {
    if (inCI) throw e;
    return `cannot fetch ${pkg.name}@${pkg.version}: ${(e as Error).message.split("\n")[0]}`;
  }
}

const model = skipBrowser ? "browser missing" : await fetchModel();
const skip = typeof model === "string";
const reason = skip ? ` (skipped: ${skipBrowser ? `${CHROMIUM} is missing and CI is not set` : model})` : "";

/** Loads model.json + shards with stock tfjs (it dequantizes tfjs-native weights itself). */
async function stockLoad(files: ReadonlyMap<string, Uint8Array>): Promise<tf.GraphModel> {
  const j = JSON.parse(new TextDecoder().decode(files.get("model.json")!)) as {
    modelTopology: object;
    weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
    format?: string;
    generatedBy?: string;
    convertedBy?: string;
    signature?: object;
    userDefinedMetadata?: Record<string, object>;
  };
  const parts = j.weightsManifest.flatMap((g) => g.paths.map((p) => files.get(p)!));
  const data = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    data.set(p, o);
    o += p.length;
  }
  return tf.loadGraphModel(
    tf.io.fromMemory({
      modelTopology: j.modelTopology,
      weightSpecs: j.weightsManifest.flatMap((g) => g.weights),
      weightData: data.buffer,
      format: j.format,
      generatedBy: j.generatedBy,
      convertedBy: j.convertedBy,
      signature: j.signature,
      userDefinedMetadata: j.userDefinedMetadata,
    }),
  );
}

/** Runs a graph model on the fidelity inputs `quantforge compare --model` generates (32 samples, seed 1). */
async function outputsOf(m: tf.GraphModel): Promise<Float32Array[]> {
  const layout = resolveInputLayout(ID, tfjsInputSpecs(m as unknown as Parameters<typeof tfjsInputSpecs>[0]));
  const x = tf.tensor(generateSamples(layout, 32, 1), [32, ...layout.inputs[0]!.sampleShape]);
  const names = m.outputs.map((o) => o.name);
  const r = m.execute({ [layout.inputs[0]!.name]: x }, names);
  const outs = Array.isArray(r) ? r : [r];
  const vals = outs.map((t) => t.dataSync() as Float32Array);
  tf.dispose([x, ...outs]);
  return vals;
}

describe.skipIf(skip)(`playground on a real tfjs graph model (${ID})${reason}`, () => {
  let h: Harness;

  beforeAll(async () => {
    await tf.setBackend("cpu");
    h = await openPlayground();
  });

  afterAll(async () => {
    await h?.close();
  });

  it("uploads model.json + shard, runs: ≥ 4 rows with output fidelity and an SVG chart within 3 minutes; a tfjs download reproduces the page's outputs", async () => {
    const { page, errors } = h;
    const m = model as Exclude<typeof model, string>;
    await page.getByTestId("model-input").setInputFiles([{ name: "emotion.json", mimeType: "application/json", buffer: m.json }, ...m.shards.map((s) => ({ ...s, mimeType: "application/octet-stream" }))]);
    // Default choices (every method, 2/4/8 bits, both coders): rows stream in; the first 4 must come within 3 minutes.
    const t0 = performance.now();
    await runAndWait(page, 4, false, 180_000);
    const seconds = (performance.now() - t0) / 1000;
    // The README screenshot: written only when asked (after 12 rows), so a test run leaves the tree clean.
    if (process.env.QF_PLAYGROUND_SCREENSHOT) {
      await page.waitForFunction(() => document.querySelectorAll("[data-testid=result-row]").length >= 12, null, { timeout: 300_000 });
      await page.screenshot({ path: join(APP, "screenshot.png"), type: "png", fullPage: true });
    }
    await page.getByTestId("cancel").click();
    console.log(`emotion: first 4 rows and a chart in ${seconds.toFixed(1)} s`);
    expect(seconds).toBeLessThan(180);
    expect(await page.getByTestId("error").count()).toBe(0);
    expect(await page.locator("#fidelity-note").textContent()).toMatch(/seeded random: 32 samples \(seed 1\)/);

    // A smaller grid to the end: uniform-mse (one scale per tensor: tfjs-native) and rtn (per channel: tfjs-float) at 8 bits.
    await choose(page, "methods", ["rtn", "uniform-mse"]);
    await choose(page, "bits", [8]);
    await choose(page, "coders", ["fixed"]);
    await runAndWait(page, 2);
    const rows = page.getByTestId("result-row");
    expect(await rows.count()).toBe(2);
    expect(await page.locator("[data-testid=rd-chart] [data-chart=output-error] svg").count()).toBe(1);

    const floatOut = await outputsOf(await stockLoad(new Map([["model.json", new Uint8Array(m.json)], ...m.shards.map((s): [string, Uint8Array] => [s.name, new Uint8Array(s.buffer)])])));
    const targets: string[] = [];
    console.log(`emotion 8-bit worst-output relative error: rtn ${await rows.nth(0).getAttribute("data-output-rel-error")}, uniform-mse ${await rows.nth(1).getAttribute("data-output-rel-error")}`);
    for (let i = 0; i < 2; i++) {
      const row = rows.nth(i);
      const reported = JSON.parse((await row.getAttribute("data-outputs"))!) as { name: string; shape: number[]; data: number[] }[];
      const rel = Number(await row.getAttribute("data-output-rel-error"));
      const [dl] = await Promise.all([page.waitForEvent("download"), row.getByTestId("download").click()]);
      const files = new Map(Object.entries(unzipSync(new Uint8Array(await readFile((await dl.path())!)))));
      targets.push((await row.getAttribute("data-download-target"))!);
      const got = await outputsOf(await stockLoad(files));
      expect(got.length).toBe(reported.length);
      got.forEach((g, k) => {
        const want = reported[k]!.data;
        expect(g.length).toBe(want.length);
        // Float rounding only: the same float32 ops on tfjs's cpu backend in Chromium and in Node.
        const scale = want.reduce((a, v) => Math.max(a, Math.abs(v)), 0);
        for (let j = 0; j < g.length; j++) expect(Math.abs(g[j]! - want[j]!)).toBeLessThanOrEqual(1e-6 * scale);
      });
      // The page's fidelity number is the relative error of these outputs against the float model's.
      let num = 0,
        den = 0;
      got.forEach((g, k) =>
        g.forEach((v, j) => {
          num += (v - floatOut[k]![j]!) ** 2;
          den += floatOut[k]![j]! ** 2;
        }),
      );
      expect(Math.abs(Math.sqrt(num / den) - rel)).toBeLessThanOrEqual(1e-4 * rel);
    }
    expect(targets.sort()).toEqual(["tfjs-float", "tfjs-native"]);
    expect(errors).toEqual([]);
  }, 600_000);
});
