// Renders TeX to SVG with MathJax at build time, so pages need no MathJax script.
//
// Protocol: one JSON request per line on stdin, {"items": [[tex, display], ...]};
// one JSON reply per line on stdout, {"html": [...], "errors": [...]}.
// The first line written is {"css": "..."}: the stylesheet the rendered math needs.
// Each formula also carries MathML for screen readers (assistive MathML).
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
// fontCache "local": each formula carries the glyph paths it uses, so it renders anywhere (EPUB too)
const svg = new SVG({ fontCache: "local" });
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
  process.stdout.write(JSON.stringify({ html, errors }) + "\n");
});
