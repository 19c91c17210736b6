// Draws the page's Mermaid diagrams, fetching Mermaid (about 700 KB of script, served from
// this site) only when a diagram comes within a screen of the viewport. A page therefore
// opens without it, and a diagram is drawn before the reader reaches it, so nothing on
// screen moves. Diagrams follow furo's light/dark switch.
(() => {
  "use strict";
  const diagrams = Array.from(document.querySelectorAll("pre.mermaid"));
  if (diagrams.length === 0) return;
  const moduleUrl = new URL("vendor/mermaid/mermaid.esm.min.mjs", document.currentScript.src).href;
  let mermaidModule = null;
  let queue = Promise.resolve();

  const isDark = () => {
    const theme = document.body.dataset.theme;
    if (theme === "dark" || theme === "light") return theme === "dark";
    return window.matchMedia("(prefers-color-scheme: dark)").matches;
  };

  // Mermaid's run() must not overlap itself: every draw goes through one queue.
  const draw = (nodes) => {
    queue = queue.then(async () => {
      mermaidModule ??= import(moduleUrl).then((module) => module.default);
      const mermaid = await mermaidModule;
      // strict: labels are text (HTML in them is escaped), click handlers off; diagrams come from PRs
      mermaid.initialize({ startOnLoad: false, securityLevel: "strict", theme: isDark() ? "dark" : "default" });
      for (const node of nodes) {
        node.dataset.source ??= node.textContent;
        node.removeAttribute("data-processed");
        node.textContent = node.dataset.source;
      }
      await mermaid.run({ nodes });
    }).catch((error) => console.error("Mermaid could not draw a diagram:", error));
    return queue;
  };

  const drawn = new Set();
  const observer = new IntersectionObserver((entries) => {
    const near = entries.filter((entry) => entry.isIntersecting).map((entry) => entry.target);
    near.forEach((node) => { observer.unobserve(node); drawn.add(node); });
    if (near.length) draw(near);
  }, { rootMargin: "100% 0px" });
  diagrams.forEach((node) => observer.observe(node));

  // furo's theme button changes body[data-theme]: redraw what is already drawn.
  let dark = isDark();
  const redraw = () => {
    if (isDark() !== dark && drawn.size) draw(Array.from(drawn));
    dark = isDark();
  };
  new MutationObserver(redraw).observe(document.body, { attributes: true, attributeFilter: ["data-theme"] });
  window.matchMedia("(prefers-color-scheme: dark)").addEventListener("change", redraw);
})();
