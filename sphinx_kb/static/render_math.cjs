// Renders TeX to SVG with MathJax at build time, so pages need no MathJax script.
//
// Protocol: one JSON request per line on stdin, {"items": [[tex, display], ...]};
// one JSON reply per line on stdout, {"html": [...], "errors": [...], "glyphs": {id: path}}.
// The first line written is {"css": "..."}: the stylesheet the rendered math needs.
// Each formula also carries MathML for screen readers (assistive MathML).
//
// Glyphs: with MathJax's "global" font cache a formula only points at glyph ids
// (<use href="#MJX-TEX-I-1D465">); a reply carries the paths of the glyphs first used in its
// batch, and the Python side defines on each page the glyphs that page uses.
"use strict";
const path = require("path");
const readline = require("readline");

const base = path.resolve(process.env.KB_NODE_MODULES || "node_modules", "mathjax-full", "js");
const { mathjax } = require(path.join(base, "mathjax.js"));
const { TeX } = require(path.join(base, "input", "tex.js"));
const { SVG } = require(path.join(base, "output", "svg.js"));
const { liteAdaptor } = require(path.join(base, "adaptors", "liteAdaptor.js"));
const { RegisterHTMLHandler } = require(path.join(base, "handlers", "html.js"));
const { AssistiveMmlHandler } = require(path.join(base, "a11y", "assistive-mml.js"));
const { AllPackages } = require(path.join(base, "input", "tex", "AllPackages.js"));

const adaptor = liteAdaptor();
AssistiveMmlHandler(RegisterHTMLHandler(adaptor));
const tex = new TeX({ packages: AllPackages.filter((p) => p !== "bussproofs"), formatError: (jax, err) => { throw err; } });
// glyphs are read from fontCache.cache (MathJax 3, pinned in package-lock.json)
const svg = new SVG({ fontCache: "global" });
const sentGlyphs = new Set();
const doc = mathjax.document("", { InputJax: tex, OutputJax: svg });

process.stdout.write(JSON.stringify({ css: adaptor.textContent(svg.styleSheet(doc)) }) + "\n");

const lines = readline.createInterface({ input: process.stdin });
lines.on("line", (line) => {
  const request = JSON.parse(line);
  const html = [];
  const errors = [];
  for (const [source, display] of request.items) {
    try {
      const node = doc.convert(source, { display });
      html.push(adaptor.outerHTML(node));
      errors.push(null);
    } catch (err) {
      html.push(null);
      errors.push(String(err.message || err));
    }
  }
  const glyphs = {};
  for (const [id, d] of svg.fontCache.cache) {
    if (!sentGlyphs.has(id)) {
      sentGlyphs.add(id);
      glyphs[id] = d;
    }
  }
  process.stdout.write(JSON.stringify({ html, errors, glyphs }) + "\n");
});
