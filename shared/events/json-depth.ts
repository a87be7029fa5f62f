/**
 * How deeply a parsed JSON value nests, checked without recursion. Inputs are parsed by JSON.parse
 * (iterative, any depth) but later serialized or validated by recursive code (JSON.stringify,
 * structuredClone, schema validators) that overflows the stack at a few thousand levels, so ingest
 * and the API refuse values nested deeper than MAX_JSON_DEPTH with a clear 4xx instead.
 */

/** Deepest nesting of objects and arrays accepted in an event or request body (events nest ~5). */
export const MAX_JSON_DEPTH = 64;

/**
 * The path (`a.b[0]`, cut at 80 characters) of the first object or array nested deeper than `max`
 * levels below `value`, or undefined when there is none.
 */
export function tooDeep(value: unknown, max = MAX_JSON_DEPTH): string | undefined {
  const stack: Array<{ v: unknown; depth: number; path: string }> = [{ v: value, depth: 0, path: "" }];
  while (stack.length) {
    const { v, depth, path } = stack.pop()!;
    if (v === null || typeof v !== "object") continue;
    if (depth >= max) return path.length > 80 ? `${path.slice(0, 80)}…` : path || "(root)";
    if (Array.isArray(v)) v.forEach((x, i) => stack.push({ v: x, depth: depth + 1, path: `${path}[${i}]` }));
    else
      for (const [k, x] of Object.entries(v))
        stack.push({ v: x, depth: depth + 1, path: path ? `${path}.${k}` : k });
  }
  return undefined;
}
