// Search results show a few lines of each page around the words found. Sphinx's
// searchtools.js fetches the whole page to cut them; a math-heavy article is 300 KB of HTML.
// The build writes each page's text to _search/<page>.html, and on the results page this
// sends those fetches there instead. searchtools.js offers no hook before its fetch, so the
// redirect wraps window.fetch, on this page only, for the site's own pages only; anything
// else, or a summary file that is missing, goes to the network as asked.
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

  window.fetch = (resource, init) => {
    const summary = summaryUrl(resource);
    if (summary === null) return networkFetch(resource, init);
    return networkFetch(summary, init).then(
      (response) => (response.ok ? response : networkFetch(resource, init)),
      () => networkFetch(resource, init),
    );
  };
})();
