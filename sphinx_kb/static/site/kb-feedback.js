// 报告勘误 / 参与讨论: add the section the reader is in to the 位置 line, as they scroll
// and when they click. Without this script the link still carries the article's title and URL.
(() => {
  "use strict";

  const links = [...document.querySelectorAll("a.kb-feedback-link")];
  if (!links.length) return;
  const article = document.querySelector("article") || document.body;
  const headings = [...article.querySelectorAll("section[id] > h2, section[id] > h3")];

  // The last heading above the upper third of the window: the section being read.
  const current = () => {
    const line = window.innerHeight / 3;
    let found = null;
    for (const heading of headings) {
      if (heading.getBoundingClientRect().top > line) break;
      found = heading;
    }
    return found;
  };

  const headingText = (heading) => {
    const copy = heading.cloneNode(true);
    for (const extra of copy.querySelectorAll(".headerlink")) extra.remove();
    return copy.textContent.replace(/\s+/g, " ").trim();
  };

  const original = new Map(links.map((link) => [link, link.href]));  // title and URL, no section
  let shown;
  const update = () => {
    const heading = current();
    if (heading === shown) return;
    shown = heading;
    for (const link of links) {
      const url = new URL(original.get(link));
      const label = link.dataset.kbLabel;
      const lines = (url.searchParams.get("body") || "").split("\n");
      const at = lines.findIndex((line) => line.startsWith(label));
      if (at < 0) continue;
      if (heading) lines[at] += ` ${headingText(heading)} ${link.dataset.kbPage}#${heading.parentElement.id}`;
      url.searchParams.set("body", lines.join("\n"));
      link.href = url.toString();
      if (heading) link.dataset.kbSection = heading.parentElement.id;
      else delete link.dataset.kbSection;
    }
  };

  let pending = false;
  window.addEventListener("scroll", () => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => { pending = false; update(); });
  }, { passive: true });
  for (const link of links) {
    link.addEventListener("pointerdown", update);
    link.addEventListener("focus", update);
    link.addEventListener("click", update);
  }
  // no update() on load: measuring headings then would force a layout of the whole page while
  // it loads (a long page's costliest task); a jump to #section scrolls, and a click updates
})();
