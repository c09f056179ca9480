/**
 * Names read from files (tensor names, shard paths, input names) reach terminals and logs. A
 * hostile file can put ANSI escape sequences or newlines in them, so every such name is printed
 * through this function: C0/C1 control characters, DEL and the Unicode line/paragraph separators
 * become `\xNN`/`\uNNNN` escapes, and very long names are cut with an ellipsis.
 *
 * @param name - Untrusted text.
 * @param max - Longest result in characters before cutting (default 200).
 * @returns A one-line, escape-free rendering of `name`.
 */
export function printable(name: string, max = 200): string {
  let out = "";
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) out += `\\x${c.toString(16).padStart(2, "0")}`;
    else if (c === 0x2028 || c === 0x2029 || (c >= 0xd800 && c <= 0xdfff && !isPairedSurrogate(name, i))) out += `\\u${c.toString(16).padStart(4, "0")}`;
    else out += name[i]!;
    if (out.length > max) return `${out.slice(0, max)}…`;
  }
  return out;
}

function isPairedSurrogate(s: string, i: number): boolean {
  const c = s.charCodeAt(i);
  if (c <= 0xdbff) {
    const d = s.charCodeAt(i + 1);
    return d >= 0xdc00 && d <= 0xdfff;
  }
  const p = s.charCodeAt(i - 1);
  return p >= 0xd800 && p <= 0xdbff;
}
