// `make livehtml` only (sphinx_kb.livebuild): after each reload, read the last build's
// problems and lay them over the page, so a failed build is seen where the page is.
(() => {
  "use strict";

  const root = document.documentElement.dataset.content_root || "";
  fetch(`${root}_static/kb-build-status.json?t=${Date.now()}`, { cache: "no-store" })
    .then((response) => (response.ok ? response.json() : null))
    .then((status) => {
      if (!status || status.ok) return;
      const box = document.createElement("aside");
      box.className = "kb-build-errors";
      box.setAttribute("role", "alert");
      const close = document.createElement("button");
      close.type = "button";
      close.textContent = "关闭";
      close.addEventListener("click", () => box.remove());
      const title = document.createElement("h2");
      title.textContent = `上次构建有 ${status.problems.length} 个问题，页面可能没有更新`;
      const text = document.createElement("pre");
      text.textContent = status.problems.join("\n");
      box.append(close, title, text);
      document.body.append(box);
    })
    .catch(() => {});
})();
