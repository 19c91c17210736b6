// Reading aids on article pages: copy a formula's TeX, and enlarge a plot or a diagram.
(() => {
  "use strict";

  // Each display formula carries its TeX source on a small button (written at build time).
  document.addEventListener("click", async (event) => {
    const button = event.target.closest("button.kb-copy-tex");
    if (!button) return;
    try {
      await navigator.clipboard.writeText(button.dataset.tex);
      button.textContent = "已复制";
    } catch {
      button.textContent = "复制失败";
    }
    button.classList.add("kb-copied");
    setTimeout(() => { button.textContent = "TeX"; button.classList.remove("kb-copied"); }, 1500);
  });

  // Plots and diagrams open full-screen in a dialog at their natural size (or the screen's
  // width, whichever is larger for vector diagrams); Esc, the close button or a click closes it.
  const zoomable = "img.plot-directive, .kb-diagram-frame > img";
  let dialog = null;
  const open = (image) => {
    if (!dialog) {
      dialog = document.createElement("dialog");
      dialog.className = "kb-lightbox";
      dialog.setAttribute("aria-label", "放大查看");
      dialog.addEventListener("click", (event) => {
        if (event.target === dialog || event.target.closest(".kb-lightbox-close")) dialog.close();
      });
      document.body.append(dialog);
    }
    const copy = image.cloneNode();
    copy.removeAttribute("style");
    copy.removeAttribute("loading");
    copy.className = "";
    const natural = image.naturalWidth || Number(image.getAttribute("width")) || image.width;
    const vector = /\.svg$/i.test(image.currentSrc || image.src);
    copy.style.width = `${vector ? Math.max(natural * 1.5, window.innerWidth - 32) : natural}px`;
    const close = document.createElement("button");
    close.type = "button";
    close.className = "kb-lightbox-close";
    close.textContent = "关闭";
    dialog.replaceChildren(close, copy);
    dialog.showModal();
    close.focus();
  };
  for (const image of document.querySelectorAll(zoomable)) {
    image.classList.add("kb-zoomable");
    image.tabIndex = 0;
    image.title = "点击放大";
  }
  document.addEventListener("click", (event) => {
    const image = event.target.closest(zoomable);
    if (image) open(image);
  });
  document.addEventListener("keydown", (event) => {
    const image = event.target.closest && event.target.closest(zoomable);
    if (image && (event.key === "Enter" || event.key === " ")) {
      event.preventDefault();
      open(image);
    }
  });
})();
