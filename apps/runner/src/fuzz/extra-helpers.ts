/**
 * Builders for `cases-extra.ts`: model folders with hostile paths, ONNX models with chosen input
 * dimensions or nesting depth, containers with chosen streams. Test-only (excluded from the build).
 */
import { readdirSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { withCrc } from "./hostile.js";
import { ByteWriter, CONTAINER_MAGIC, concatBytes } from "@quantforge/core/format";

export const m = (d: string) => join(d, "m");
export const put = async (d: string, name: string, data: Uint8Array | string) => {
  await mkdir(m(d), { recursive: true });
  const p = join(m(d), name);
  await writeFile(p, data);
  return p;
};

/** A tfjs graph model in `<dir>/m` whose first shard path is `path` (size `bytes` when given). */
export async function tfjsWithPath(d: string, path: string, bytes?: number): Promise<string> {
  await mkdir(m(d), { recursive: true });
  const { writeGraphModel } = await import("@quantforge/io-tfjs/testing");
  const p = await writeGraphModel(m(d));
  const json = JSON.parse(await readFile(p, "utf8")) as { weightsManifest: { paths: string[]; weights: { name: string; shape: number[]; dtype: string }[] }[] };
  const g = json.weightsManifest[0]!;
  g.paths = [path];
  if (bytes !== undefined) g.weights = [{ name: g.weights[0]!.name, shape: [bytes / 4], dtype: "float32" }];
  await writeFile(p, JSON.stringify(json));
  return p;
}

/** An ONNX model (protobufjs): graph input `x` of `dims` (negative = symbolic `N`), `y = x * s`, scalar initializer `s`. */
export async function onnxWithInput(dims: readonly number[]): Promise<Uint8Array> {
  const { encodeModel } = await import("@quantforge/io-onnx/testing");
  const vi = (name: string) => ({ name, type: { tensor_type: { elem_type: 1, shape: { dim: dims.map((d) => (d < 0 ? { dim_param: "N" } : { dim_value: d })) } } } });
  return encodeModel({
    ir_version: 7,
    opset_import: [{ domain: "", version: 13 }],
    graph: { name: "g", node: [{ op_type: "Mul", input: ["x", "s"], output: ["y"] }], initializer: [{ name: "s", dims: [], data_type: 1, raw_data: new Uint8Array(new Float32Array([1.5]).buffer) }], input: [vi("x")], output: [vi("y")] },
  });
}

/** An ONNX model whose graph holds an `If` node nested `depth` levels deep in `then_branch`. */
export function onnxNested(depth: number): Uint8Array {
  // Built from the inside out as byte arrays (no recursion).
  const enc = new TextEncoder();
  const lenField = (field: number, body: Uint8Array): Uint8Array => {
    const head: number[] = [];
    let v = (field << 3) | 2;
    while (v >= 0x80) {
      head.push((v % 0x80) | 0x80);
      v = Math.floor(v / 0x80);
    }
    head.push(v);
    let n = body.length;
    while (n >= 0x80) {
      head.push((n % 0x80) | 0x80);
      n = Math.floor(n / 0x80);
    }
    head.push(n);
    const out = new Uint8Array(head.length + body.length);
    out.set(head);
    out.set(body, head.length);
    return out;
  };
  const cat = (...parts: Uint8Array[]) => concatBytes(parts);
  let graph = cat(lenField(2, enc.encode("leaf")), lenField(5, cat(Uint8Array.of(0x08, 4, 0x10, 1), lenField(8, enc.encode("w")), lenField(9, new Uint8Array(16)))));
  for (let i = 0; i < depth; i++) {
    const attr = cat(lenField(1, enc.encode("then_branch")), lenField(6, graph), Uint8Array.of(0xa0, 0x01, 5));
    const node = cat(lenField(1, enc.encode("c")), lenField(4, enc.encode("If")), lenField(5, attr));
    graph = cat(lenField(1, node), lenField(2, enc.encode(`g${i}`)));
  }
  return cat(Uint8Array.of(0x08, 7), lenField(7, graph), lenField(8, Uint8Array.of(0x10, 13)));
}

export const interruptOnTemp = (folder: (d: string) => string) => (d: string) => {
  try {
    return readdirSync(folder(d)).some((n) => n.includes(".tmp-"));
  } catch {
    return false;
  }
};

/** A container with the one-level codebook, `streams` and a stream count of `count`. */
export function qfWith(streams: Uint8Array[], count = streams.length): Uint8Array {
  const w = new ByteWriter(64);
  for (let i = 0; i < 4; i++) w.u8(CONTAINER_MAGIC.charCodeAt(i));
  w.u16(1).u16(0).str("huffman").str("{}").varint(0).varint(count);
  for (const s of streams) w.u8(0).str("").u8(0).varint(s.length).bytes(s);
  w.varint(0);
  return withCrc(w.finish());
}
