import { FormatError } from "@quantforge/core";
import { isKnownDtype, isReadableDtype, knownDtypes, READABLE_DTYPES, SAFETENSORS_DTYPE_BYTES } from "./dtype.js";
import type { ReadHeaderOptions, SafetensorsTensorInfo } from "./header.js";

/** What kind of JSON value `v` is, with its article, for messages ("an array", "a number", "null"). */
function jsonKind(v: unknown): string {
  if (v === null) return "null";
  const k = Array.isArray(v) ? "array" : typeof v;
  return `${/^[aeiou]/.test(k) ? "an" : "a"} ${k}`;
}

/** Compact, single-line rendering of a JSON fragment for messages. */
function show(v: unknown): string {
  let s: string;
  try {
    s = JSON.stringify(v) ?? String(v);
  } catch {
    s = String(v);
  }
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

function isOffset(v: unknown): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
}

/**
 * Validates the decoded JSON header and lays out the tensors.
 * @param json - The header bytes (UTF-8 JSON, possibly space-padded).
 * @param dataOffset - Absolute offset of the data section.
 * @param dataBytes - Length of the data section.
 * @param label - File name for messages.
 * @throws {FormatError} On any violation of the format.
 */
export function parseHeaderJson(json: Uint8Array, dataOffset: number, dataBytes: number, label: string, options: ReadHeaderOptions = {}): { metadata: Record<string, string>; tensors: SafetensorsTensorInfo[] } {
  const where = `"${label}"`;
  let text: string;
  try {
    // fatal: reject invalid UTF-8 instead of inserting U+FFFD; ignoreBOM: keep a BOM so that
    // JSON.parse rejects it, as the reference reader (which requires a leading '{') does.
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(json);
  } catch (e) {
    throw new FormatError(`the header of ${where} is not valid UTF-8: the file is corrupt or not safetensors. Re-export it.`, e);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    const why = (e instanceof Error ? e.message : String(e)).replace(/\s+/g, " ").slice(0, 100);
    throw new FormatError(`the header of ${where} is not valid JSON (${why}): the file is corrupt or not safetensors. Re-export it.`, e);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new FormatError(`the header of ${where} is ${jsonKind(parsed)}, not a JSON object of tensor entries. The file is not safetensors; re-export it.`);
  }

  const metadata: [string, string][] = [];
  const tensors: SafetensorsTensorInfo[] = [];
  const seen = new Set<string>();
  const obj = parsed as Record<string, unknown>;
  for (const name of topLevelKeys(text)) {
    // JSON.parse keeps the last of duplicate keys silently; a duplicated tensor name is ambiguous.
    if (seen.has(name)) throw new FormatError(`the header of ${where} lists "${name}" twice. The file is corrupt; re-export it.`);
    seen.add(name);
    const entry = obj[name];
    if (name === "__metadata__") {
      // The reference reader types this as Option<HashMap<String, String>>, so null means absent.
      if (entry === null) continue;
      if (typeof entry !== "object" || Array.isArray(entry)) {
        throw new FormatError(`"__metadata__" in ${where} is ${jsonKind(entry)}, not a map of strings to strings. Re-export the file with string metadata.`);
      }
      for (const [k, v] of Object.entries(entry as Record<string, unknown>)) {
        if (typeof v !== "string") throw new FormatError(`"__metadata__" in ${where} must map strings to strings, but key "${k}" holds ${jsonKind(v)}. Re-export the file with string metadata values.`);
        metadata.push([k, v]);
      }
      continue;
    }
    tensors.push(parseEntry(name, entry, dataOffset, dataBytes, where));
  }

  // Stable sort: ties (only empty tensors can share a range) keep their order in the header text.
  tensors.sort((a, b) => a.begin - b.begin || a.end - b.end);
  checkLayout(tensors, dataOffset, dataBytes, where, options.allowHoles === true);
  return { metadata: Object.fromEntries(metadata), tensors };
}

/**
 * The keys of the top-level object of already-validated JSON `text`, in text order, duplicates
 * included. `Object.keys` cannot give this: it lists integer-like keys first and drops duplicates.
 */
function topLevelKeys(text: string): string[] {
  const keys: string[] = [];
  let depth = 0;
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // '"': scan to the closing quote, skipping escapes
      const start = i++;
      while (text.charCodeAt(i) !== 0x22) i += text.charCodeAt(i) === 0x5c ? 2 : 1;
      if (depth === 1 && expectKey) keys.push(JSON.parse(text.slice(start, i + 1)) as string);
      expectKey = false;
    } else if (c === 0x7b) {
      depth++;
      expectKey = depth === 1;
    } // '{'
    else if (c === 0x5b)
      depth++; // '['
    else if (c === 0x7d || c === 0x5d)
      depth--; // '}' ']'
    else if (c === 0x2c && depth === 1) expectKey = true; // ','
  }
  return keys;
}

/** Validates one tensor entry: dtype, shape, data_offsets and the size they imply. */
function parseEntry(name: string, entry: unknown, dataOffset: number, dataBytes: number, where: string): SafetensorsTensorInfo {
  const t = `tensor "${name}" in ${where}`;
  if (typeof entry !== "object" || entry === null || Array.isArray(entry)) {
    throw new FormatError(`${t} is ${jsonKind(entry)}, not an object with dtype, shape and data_offsets. Re-export the file.`);
  }
  const { dtype, shape, data_offsets: offsets } = entry as Record<string, unknown>;
  if (typeof dtype !== "string") throw new FormatError(`${t} has ${dtype === undefined ? "no" : `${jsonKind(dtype)} as`} "dtype" (a string such as "F32" is required). Re-export the file.`);
  if (!isReadableDtype(dtype)) {
    if (isKnownDtype(dtype)) throw new FormatError(`${t} has dtype ${dtype}, which quantforge does not read (it reads ${READABLE_DTYPES.join(", ")}; F64 is narrowed to float32). Convert that tensor to a float dtype first.`);
    throw new FormatError(`${t} has an unknown dtype ${show(dtype)} (safetensors defines ${knownDtypes().join(", ")}). The file is corrupt; re-export it.`);
  }
  if (!Array.isArray(shape)) throw new FormatError(`${t} has ${shape === undefined ? "no" : `${jsonKind(shape)} as`} "shape" (an array of dimensions is required). Re-export the file.`);
  let count = 1;
  for (const d of shape) {
    if (!isOffset(d)) throw new FormatError(`${t} has shape ${show(shape)}: dimensions must be non-negative integers. Re-export the file.`);
    count *= d;
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !isOffset(offsets[0]) || !isOffset(offsets[1])) {
    throw new FormatError(`${t} has data_offsets ${offsets === undefined ? "missing" : show(offsets)}; it must be [begin, end], two non-negative integers. Re-export the file.`);
  }
  const [b, e] = offsets as [number, number];
  if (e < b) throw new FormatError(`${t} has data_offsets [${b}, ${e}] with end before begin. The file is corrupt; re-export it.`);
  if (e > dataBytes) throw new FormatError(`${t} has data_offsets [${b}, ${e}] past the end of the ${dataBytes}-byte data section: the file is truncated or corrupt. Re-download or re-export it.`);
  const need = count * SAFETENSORS_DTYPE_BYTES[dtype];
  if (need !== e - b) {
    throw new FormatError(`${t} holds ${e - b} bytes but dtype ${dtype} × shape [${shape.join(", ")}] needs ${Number.isSafeInteger(need) ? need : "more than 2^53"}. The header is inconsistent; re-export the file.`);
  }
  return { name, dtype, shape: shape.slice() as number[], begin: dataOffset + b, end: dataOffset + e };
}

/** Rejects overlapping tensors and, unless allowed, holes (tensors sorted by begin). */
function checkLayout(tensors: readonly SafetensorsTensorInfo[], dataOffset: number, dataBytes: number, where: string, allowHoles: boolean): void {
  let cursor = 0; // relative end of the data covered so far
  let last: SafetensorsTensorInfo | undefined;
  for (const t of tensors) {
    const b = t.begin - dataOffset;
    const e = t.end - dataOffset;
    // An empty tensor covers no bytes, so it can overlap nothing; it still may not sit in a hole's place.
    if (b < cursor && e > b) {
      throw new FormatError(`tensors "${last!.name}" [${last!.begin - dataOffset}, ${last!.end - dataOffset}) and "${t.name}" [${b}, ${e}) overlap in ${where}. The file is corrupt; re-export it.`);
    }
    if (b > cursor && !allowHoles) {
      throw new FormatError(`${where} has ${b - cursor} unused bytes at data offset ${cursor} before tensor "${t.name}"; the safetensors format allows no holes. Re-export the file, or read it with allowHoles: true.`);
    }
    if (e > cursor) {
      cursor = e;
      last = t;
    } else if (last === undefined) last = t;
  }
  if (cursor < dataBytes && !allowHoles) {
    throw new FormatError(`${where} has ${dataBytes - cursor} bytes after the last tensor that no tensor uses; the safetensors format allows no holes. Re-export the file, or read it with allowHoles: true.`);
  }
}
