// Search results show a few lines of each page around the words found. Sphinx's
// searchtools.js fetches the whole page to cut them; a math-heavy article is 300 KB of HTML.
// The build writes each page's text to _search/<page>.html, and on the results page this
// sends those fetches there instead. searchtools.js offers no hook before its fetch, so the
// redirect wraps window.fetch, on this page only, for the site's own pages only; anything
// else, or a summary file that is missing, goes to the network as asked.
//
// The results on the first screen are fetched first: a result below it waits until those
// lines have arrived and been painted, so on a phone's slow connection the lines a reader
// sees do not share it with ten text copies below the fold. Every result still gets its
// lines, without scrolling; one that scrolls into view first is fetched at once.
(() => {
  "use strict";
  // a top-level const of documentation_options.js: global, but not a property of window
  if (typeof DOCUMENTATION_OPTIONS === "undefined" || DOCUMENTATION_OPTIONS.BUILDER !== "html") return;
  const root = new URL(document.documentElement.dataset.content_root || "./", window.location.href);
  const suffix = DOCUMENTATION_OPTIONS.FILE_SUFFIX;
  const networkFetch = window.fetch.bind(window);

  const summaryUrl = (resource) => {
    if (typeof resource !== "string") return null;
    const url = new URL(resource, window.location.href);
    if (url.origin !== root.origin || !url.pathname.startsWith(root.pathname)) return null;
    if (!url.pathname.endsWith(suffix) || url.search) return null;
    const page = url.pathname.slice(root.pathname.length, url.pathname.length - suffix.length);
    if (!page || page.startsWith("_")) return null;
    return new URL(`_search/${page}.html`, root);
  };

  const fetchSummary = (summary, resource, init) => networkFetch(summary, init).then(
    (response) => (response.ok ? response : networkFetch(resource, init)),
    () => networkFetch(resource, init),
  );
  // answered once the body is here: searchtools.js then cuts and inserts the lines at once
  const whole = (response) => response.text().then((body) => new Response(body, {
    status: response.status, statusText: response.statusText, headers: response.headers }));

  // --- first screen first ---------------------------------------------------------------------
  // Each result keeps the room its lines will take from the moment it is added (kb.css), so
  // where it will be is known before any lines have arrived.
  const held = new Map(); // result item -> starts its fetch
  let onScreen = 0; // first-screen fetches whose lines are not yet painted

  const releaseHeld = () => {
    if (onScreen > 0) return;
    held.forEach((start) => start());
  };
  // after the lines are in the page and the frame that shows them is out (the second
  // animation frame begins only once the first has been produced)
  const painted = () => requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(() => {
    onScreen -= 1;
    releaseHeld();
  }, 0)));

  const watcher = "IntersectionObserver" in window ? new IntersectionObserver((entries) => {
    entries.forEach((entry) => { if (entry.isIntersecting && held.has(entry.target)) held.get(entry.target)(); });
  }) : null;

  const onFirstScreen = (item) => item.getBoundingClientRect().top < window.innerHeight;

  const whenItsTurn = (run) => new Promise((resolve, reject) => {
    // the item searchtools.js appends right after calling fetch, in the same task
    queueMicrotask(() => {
      const list = typeof Search !== "undefined" ? Search.output : null;
      const item = list ? list.lastElementChild : null;
      if (watcher === null || item === null || held.has(item) || onFirstScreen(item)) {
        onScreen += 1;
        run().then(resolve, reject).finally(painted);
        return;
      }
      const start = () => {
        if (!held.delete(item)) return;
        watcher.unobserve(item);
        run().then(resolve, reject);
      };
      held.set(item, start);
      watcher.observe(item);
      releaseHeld();
    });
  });

  window.fetch = (resource, init) => {
    const summary = summaryUrl(resource);
    if (summary === null) return networkFetch(resource, init);
    return whenItsTurn(() => fetchSummary(summary, resource, init).then(whole));
  };
})();
