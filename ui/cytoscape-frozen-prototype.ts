import type { Plugin } from "vite";

// Tauri freezes Object.prototype (`freezePrototype` in tauri.conf.json). In strict code,
// assigning a property the frozen prototype already has (toString) then throws ("override
// mistake"), and cytoscape does that when it loads. This rewrites those few assignments
// into defineProperty, which is unaffected, so the app keeps its frozen prototype.

const REPLACEMENTS: [string, string][] = [
  [
    "var extend = Object.assign != null ? Object.assign.bind(Object) : function (tgt) {",
    "var extend = function (tgt) {",
  ],
  [
    "      tgt[k] = obj[k];",
    "      Object.defineProperty(tgt, k, { value: obj[k], writable: true, enumerable: true, configurable: true });",
  ],
  [
    "  f.toString = function () {\n    return str;\n  };",
    '  Object.defineProperty(f, "toString", { value: function () {\n    return str;\n  }, writable: true, configurable: true });',
  ],
];

/** Applies the rewrites; fails loudly when cytoscape's code changed under them. */
export function patchCytoscape(code: string): string {
  let out = code;
  for (const [from, to] of REPLACEMENTS) {
    if (!out.includes(from)) throw new Error(`cytoscape patch no longer applies: ${from.slice(0, 60)}`);
    out = out.replace(from, to);
  }
  return out;
}

/** The Vite plugin. */
export function cytoscapeFrozenPrototype(): Plugin {
  return {
    name: "cytoscape-frozen-prototype",
    enforce: "pre" as const,
    transform(code: string, id: string) {
      if (!/node_modules[\\/]cytoscape[\\/]dist[\\/]cytoscape\.esm\.m?js/.test(id)) return null;
      return { code: patchCytoscape(code), map: null };
    },
  };
}
