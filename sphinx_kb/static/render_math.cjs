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
//
// Formulas are untrusted (articles come from pull requests), so TeX runs without the
// packages that reach outside the formula: html (\href, \class, \cssId, \style), unicode
// (\unicode), newcommand (\def, \newcommand, \renewcommand, \let: a macro defined in one
// formula would change later ones), require/autoload (loading more packages), and
// noundefined/noerrors (they render an unknown or broken command in red instead of failing).
// Without them such a command is an undefined control sequence: the build fails with the
// file and line. MathJax's safe extension (SafeHandler) filters what the remaining packages
// can put in attributes (\bbox styles, \color, \mmlToken). Tags and labels are reset before
// every formula, so each one renders the same whatever was rendered before it, and a
// cached rendering depends on its TeX alone.
//
// KB_MATH_REFERENCE=1 renders with the full package set and no filter, as before the safe
// mode: tests compare the site's formulas both ways.
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
const { SafeHandler } = require(path.join(base, "ui", "safe", "SafeHandler.js"));

const reference = process.env.KB_MATH_REFERENCE === "1";
const REFUSED_PACKAGES = ["bussproofs", "html", "unicode", "newcommand", "noundefined", "noerrors", "require", "autoload"];
const REFUSED_COMMANDS = {
  href: "links belong in the text around the formula",
  class: "formulas cannot set classes",
  cssId: "formulas cannot set ids",
  style: "formulas cannot set styles",
  unicode: "type the character itself",
  require: "formulas cannot load TeX packages",
  def: "formulas cannot define macros", newcommand: "formulas cannot define macros",
  renewcommand: "formulas cannot redefine macros", let: "formulas cannot define macros",
  DeclareMathOperator: "write \\operatorname{name} instead", newenvironment: "formulas cannot define environments",
  renewenvironment: "formulas cannot redefine environments",
};

const adaptor = liteAdaptor();
const handler = AssistiveMmlHandler(RegisterHTMLHandler(adaptor));
if (!reference) SafeHandler(handler);
const packages = reference ? AllPackages.filter((p) => p !== "bussproofs") : AllPackages.filter((p) => !REFUSED_PACKAGES.includes(p));
const tex = new TeX({ packages, formatError: (jax, err) => { throw err; } });
// glyphs are read from fontCache.cache (MathJax 3, pinned in package-lock.json)
const svg = new SVG({ fontCache: "global" });
const sentGlyphs = new Set();
const doc = mathjax.document("", {
  InputJax: tex, OutputJax: svg,
  safeOptions: { safeProtocols: { http: true, https: true, file: false, javascript: false, data: false } },
});

// Fewer elements for the browser to parse and style: MathJax wraps nearly every MathML node
// in its own <g>. A <g> with no attribute left once MathJax's bookkeeping is dropped is
// replaced by its children, and a <g> whose only attribute is a transform and that holds one
// element passes the transform on to it (an SVG transform list composes left to right). The
// node kinds kb-math.css selects on (mtable, merror, maction, with their child <g>s) are kept
// as they are, with everything inside them.
const KEPT = new Set(["mtable", "merror", "maction"]);
const BOOKKEEPING = ["data-c", "data-mjx-texclass"];
const TRANSFORMABLE = new Set(["g", "use", "path", "rect", "line", "polygon", "text"]);

function flatten(node) {
  if (!node.children) return;
  for (const child of node.children) {
    if (!child.kind || child.kind === "#text") continue;
    for (const name of BOOKKEEPING) delete child.attributes[name];
    if (child.kind === "g" && child.attributes["data-mml-node"] && !KEPT.has(child.attributes["data-mml-node"])) {
      delete child.attributes["data-mml-node"];
    }
    if (!KEPT.has(child.attributes["data-mml-node"]) && !("data-table" in child.attributes)) flatten(child);
  }
  const kept = KEPT.has(node.attributes && node.attributes["data-mml-node"]);
  if (kept) return;
  const children = [];
  for (const child of node.children) {
    const names = child.kind === "g" ? Object.keys(child.attributes) : null;
    const elements = names && child.children.filter((c) => c.kind && c.kind !== "#text");
    if (names && names.length === 0) {
      for (const grandchild of child.children) { grandchild.parent = node; children.push(grandchild); }
    } else if (names && names.length === 1 && names[0] === "transform" && elements.length === 1
               && child.children.length === 1 && TRANSFORMABLE.has(elements[0].kind)) {
      const only = elements[0];
      const inner = only.attributes.transform;
      only.attributes.transform = inner ? `${child.attributes.transform} ${inner}` : child.attributes.transform;
      only.parent = node;
      children.push(only);
    } else {
      children.push(child);
    }
  }
  node.children = children;
}

function explain(err) {
  const message = String(err.message || err);
  const match = message.match(/Undefined control sequence \\(\w+)/);
  if (match && !reference && Object.prototype.hasOwnProperty.call(REFUSED_COMMANDS, match[1])) {
    return `\\${match[1]} is not allowed in formulas (${REFUSED_COMMANDS[match[1]]})`;
  }
  if (match) return `${message}: check the spelling of \\${match[1]}`;
  return message;
}

process.stdout.write(JSON.stringify({ css: adaptor.textContent(svg.styleSheet(doc)) }) + "\n");

const lines = readline.createInterface({ input: process.stdin });
lines.on("line", (line) => {
  const request = JSON.parse(line);
  const html = [];
  const errors = [];
  for (const [source, display] of request.items) {
    try {
      tex.reset();  // no \label or tag numbering carried over from the formula before
      const node = doc.convert(source, { display });
      for (const drawing of node.children.filter((child) => child.kind === "svg")) flatten(drawing);
      html.push(adaptor.outerHTML(node));
      errors.push(null);
    } catch (err) {
      html.push(null);
      errors.push(explain(err));
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
