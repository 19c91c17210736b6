// Parses Mermaid diagrams at build time with the pinned package (no browser, no drawing).
// stdin: a JSON list of diagram sources; stdout: a JSON list, null or the error, one a diagram.
import { readFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

const modules = path.resolve(process.env.KB_NODE_MODULES || "node_modules");
// Mermaid sanitizes labels with DOMPurify, which needs a DOM: happy-dom's, no browser
const { Window } = await import(pathToFileURL(path.join(modules, "happy-dom", "lib", "index.js")).href);
const window = new Window();
globalThis.window = window;
globalThis.document = window.document;
const { default: mermaid } = await import(pathToFileURL(path.join(modules, "mermaid", "dist", "mermaid.esm.min.mjs")).href);
const sources = JSON.parse(readFileSync(0, "utf-8"));
const verdicts = [];
for (const source of sources) {
  try {
    await mermaid.parse(source);
    verdicts.push(null);
  } catch (err) {
    // the first lines say where: "Parse error on line 3: ... Expecting 'SQE', got 'EOF'"
    verdicts.push(String((err && err.message) || err).split("\n").filter((l) => l.trim()).slice(0, 4).join(" "));
  }
}
process.stdout.write(JSON.stringify(verdicts));
