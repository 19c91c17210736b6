// Results as the reader types, under the search box in the sidebar and in the phone header.
// The box is a combobox: ↑/↓ move through the results (aria-activedescendant), Enter opens
// the chosen one or, with none chosen, the full results page; Esc closes the list. "/" and
// Ctrl/⌘+K put the cursor in the box. Everything runs in the browser on the site's own files:
// Sphinx's searchindex.js, _static/kb-search-data.js, and the pages' text copies
// (_search/<page>.html) for the section and snippet of each result. Ranking is
// kb-search-engine.js, shared with the results page.
(() => {
  "use strict";
  if (typeof DOCUMENTATION_OPTIONS === "undefined" || !window.KBSearch) return;
  const root = new URL(document.documentElement.dataset.content_root || "./", window.location.href);
  const suffix = DOCUMENTATION_OPTIONS.FILE_SUFFIX || ".html";
  const linkSuffix = DOCUMENTATION_OPTIONS.LINK_SUFFIX === undefined ? suffix : DOCUMENTATION_OPTIONS.LINK_SUFFIX;
  const MAX_RESULTS = 8;
  const DEBOUNCE_MS = 60;

  // --- the index, loaded once, on first use ---------------------------------------------------
  let loading = null;
  const script = (src) => new Promise((resolve, reject) => {
    const el = document.createElement("script");
    el.src = new URL(src, root).href;
    el.onload = resolve;
    el.onerror = () => reject(new Error(src));
    document.head.appendChild(el);
  });
  const searchObject = () => (typeof Search !== "undefined" ? Search : window.Search);
  const loadIndex = () => {
    if (loading) return loading;
    if (typeof Search === "undefined" && !window.Search) {
      // Sphinx's searchindex.js calls Search.setIndex; searchtools.js is only on the results page
      window.Search = { _index: null, setIndex(index) { this._index = index; } };
    }
    const needs = [];
    if (!window.KB_SEARCH_DATA) needs.push(script("_static/kb-search-data.js"));
    if (typeof Stemmer === "undefined") needs.push(script("_static/language_data.js"));
    const s = searchObject();
    if (!s._index) needs.push(script("searchindex.js"));
    loading = Promise.all(needs).then(() => new Promise((resolve) => {
      const wait = () => (searchObject()._index ? resolve(searchObject()._index) : setTimeout(wait, 20));
      wait();
    }));
    loading.catch(() => { loading = null; });
    return loading;
  };

  const copies = new Map(); // docname -> Promise of sections
  const sectionsOf = (docname) => {
    if (!copies.has(docname)) {
      copies.set(docname, fetch(new URL(`_search/${docname}.html`, root))
        .then((r) => (r.ok ? r.text() : ""))
        .then((html) => (html ? KBSearch.sectionsOf(html) : []))
        .catch(() => []));
    }
    return copies.get(docname);
  };
  const pageUrl = (docname, anchor) => new URL(docname + linkSuffix, root).href + (anchor || "");

  // --- one combobox per search box ------------------------------------------------------------
  let counter = 0;
  function enhance(form) {
    const input = form.querySelector('input[name="q"]');
    if (!input || input.dataset.kbSearch) return;
    input.dataset.kbSearch = "1";
    const id = `kb-search-${++counter}`;
    form.classList.add("kb-search");
    const panel = document.createElement("div");
    panel.className = "kb-search-panel";
    panel.hidden = true;
    const status = document.createElement("p");
    status.className = "kb-search-status";
    status.id = `${id}-status`;
    status.setAttribute("role", "status");
    const list = document.createElement("ul");
    list.className = "kb-search-results";
    list.id = `${id}-list`;
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", "搜索结果");
    const more = document.createElement("a");
    more.className = "kb-search-more";
    more.textContent = "查看全部结果";
    more.href = form.action;  // the results page; the query is added as the reader types
    more.tabIndex = -1;
    panel.append(status, list, more);
    form.appendChild(panel);

    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", list.id);
    input.setAttribute("aria-describedby", status.id);
    input.setAttribute("autocomplete", "off");

    let active = -1;
    let timer = null;
    let generation = 0;

    const options = () => [...list.querySelectorAll('[role="option"]')];
    const setActive = (i) => {
      const opts = options();
      active = opts.length ? (i + opts.length) % opts.length : -1;
      opts.forEach((o, j) => o.setAttribute("aria-selected", j === active ? "true" : "false"));
      if (active >= 0) {
        input.setAttribute("aria-activedescendant", opts[active].id);
        opts[active].scrollIntoView({ block: "nearest" });
      } else input.removeAttribute("aria-activedescendant");
    };
    const open = () => { panel.hidden = false; input.setAttribute("aria-expanded", "true"); };
    const close = () => {
      panel.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    };

    const fill = (el, pieces) => {
      el.textContent = "";
      pieces.forEach((piece) => {
        if (piece.mark) el.appendChild(document.createElement("mark")).textContent = piece.text;
        else el.appendChild(document.createTextNode(piece.text));
      });
    };

    const render = (query, found) => {
      list.textContent = "";
      active = -1;
      input.removeAttribute("aria-activedescendant");
      more.href = new URL(`search${suffix}`, root).href + "?q=" + encodeURIComponent(query);
      const results = found.results.slice(0, MAX_RESULTS);
      status.textContent = results.length
        ? `找到 ${found.results.length} 篇，按 ↑↓ 选择，回车打开`
        : "没有找到相关文章，换个说法试试";
      results.forEach((result, i) => {
        const li = document.createElement("li");
        li.id = `${id}-option-${i}`;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        const a = li.appendChild(document.createElement("a"));
        a.href = pageUrl(result.docname, result.anchor);
        a.tabIndex = -1;
        a.dataset.docname = result.docname;
        const title = a.appendChild(document.createElement("span"));
        title.className = "kb-search-title";
        title.textContent = result.title;
        const section = a.appendChild(document.createElement("span"));
        section.className = "kb-search-section";
        section.textContent = result.section;
        const text = a.appendChild(document.createElement("span"));
        text.className = "kb-search-snippet";
        list.appendChild(li);
        sectionsOf(result.docname).then((sections) => {
          if (!sections.length || !li.isConnected) return;
          const best = KBSearch.bestSection(sections, found.highlights, result.anchor);
          if (!best) return;
          if (best.anchor && best !== sections[0]) {
            a.href = pageUrl(result.docname, best.anchor);
            section.textContent = best.heading;
          }
          fill(text, KBSearch.snippet(best.text, found.highlights));
        });
      });
      open();
    };

    const run = () => {
      const query = input.value.trim();
      const mine = ++generation;
      if (!query) { close(); return; }
      if (!searchObject() || !searchObject()._index) {
        status.textContent = "正在载入索引…";
        open();
      }
      loadIndex().then((index) => {
        if (mine !== generation) return;
        render(query, KBSearch.search(index, window.KB_SEARCH_DATA, query));
      }, () => { status.textContent = "索引载入失败，按回车打开搜索页"; open(); });
    };

    input.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(run, DEBOUNCE_MS);
    });
    input.addEventListener("focus", () => {
      loadIndex();
      if (input.value.trim() && list.children.length) open();
    });
    input.addEventListener("keydown", (event) => {
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        if (panel.hidden) { run(); return; }
        event.preventDefault();
        setActive(active + (event.key === "ArrowDown" ? 1 : -1));
      } else if (event.key === "Enter") {
        const opts = options();
        if (active >= 0 && opts[active]) {
          event.preventDefault();
          window.location.href = opts[active].querySelector("a").href;
        }
      } else if (event.key === "Escape") {
        if (!panel.hidden) { event.preventDefault(); close(); }
        else if (form.classList.contains("kb-search-header")) form.classList.remove("kb-search-open");
      }
    });
    form.addEventListener("focusout", (event) => {
      if (!form.contains(event.relatedTarget)) setTimeout(() => { if (!form.contains(document.activeElement)) close(); }, 150);
    });
    list.addEventListener("mousedown", (event) => event.preventDefault()); // keep focus in the box
  }

  // --- the phone header gets its own box ------------------------------------------------------
  function headerBox() {
    const right = document.querySelector(".mobile-header .header-right");
    const source = document.querySelector("form.kb-search");
    if (!right || !source || document.querySelector(".kb-search-toggle")) return;
    const button = document.createElement("button");
    button.type = "button";
    button.className = "kb-search-toggle";
    button.setAttribute("aria-label", "搜索");
    button.innerHTML = '<svg viewBox="0 0 24 24" aria-hidden="true"><circle cx="10.5" cy="10.5" r="6.5" fill="none" stroke="currentColor" stroke-width="2"/><path d="M15.5 15.5 21 21" stroke="currentColor" stroke-width="2" stroke-linecap="round"/></svg>';
    const form = document.createElement("form");
    form.className = "kb-search kb-search-header";
    form.method = "get";
    form.action = source.action;
    form.setAttribute("role", "search");
    form.innerHTML = '<input type="search" name="q" class="kb-search-header-input" placeholder="搜索知识库" aria-label="搜索知识库" autocomplete="off" spellcheck="false" enterkeyhint="search">';
    right.insertBefore(button, right.firstChild);
    document.querySelector(".mobile-header").appendChild(form);
    button.setAttribute("aria-expanded", "false");
    button.addEventListener("click", () => {
      const opened = form.classList.toggle("kb-search-open");
      button.setAttribute("aria-expanded", String(opened));
      if (opened) form.querySelector("input").focus();
    });
    enhance(form);
  }

  const visible = (el) => el.offsetParent !== null && getComputedStyle(el).visibility !== "hidden";
  const focusBox = () => {
    const inputs = [...document.querySelectorAll("form.kb-search input[name='q']")];
    let input = inputs.find(visible);
    if (!input) {
      const toggle = document.querySelector(".kb-search-toggle");
      if (toggle && visible(toggle)) { toggle.click(); input = document.querySelector(".kb-search-header input"); }
    }
    if (input) { input.focus(); input.select(); }
  };
  document.addEventListener("keydown", (event) => {
    const target = event.target;
    const typing = target.closest && target.closest("input, textarea, select, [contenteditable=''], [contenteditable='true']");
    if ((event.key === "k" || event.key === "K") && (event.ctrlKey || event.metaKey) && !event.altKey) {
      event.preventDefault();
      focusBox();
    } else if (event.key === "/" && !typing && !event.ctrlKey && !event.metaKey && !event.altKey) {
      event.preventDefault();
      focusBox();
    }
  });

  const start = () => {
    document.querySelectorAll('form[role="search"]').forEach((form) => {
      if (form.querySelector('input[name="q"]') && !form.closest("#search-results")) enhance(form);
    });
    headerBox();
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
