/*
 * Ranking of the full results page (deep-learning knowledge base).
 *
 * The page lists what the instant panel lists: both ask kb-search-engine.js (loaded on every
 * page), so question words carry no weight, titles and headings outrank the text, glossary
 * aliases widen the query, and only articles and the glossary are results. Each result links
 * the section that matched and shows, highlighted by Sphinx, the lines of that section around
 * the words found, cut from the page's text copy.
 *
 * Sphinx embeds this file in language_data.js (html_search_scorer), after searchtools.js.
 */
if (typeof Search !== "undefined" && typeof Search.query === "function") {
  Search._kbLast = null;
  Search._performSearch = (query) => {
    const progress = document.getElementById("search-progress");
    if (progress) progress.textContent = "";
    if (!window.KBSearch) return [];
    const found = window.KBSearch.search(Search._index, window.KB_SEARCH_DATA, query);
    Search._kbLast = found;
    // Sphinx shows the last item first: worst to best
    return found.results.map((r) => [r.docname, r.title, r.anchor, null, Math.round(r.score),
                                     Search._index.filenames[r.file], SearchResultKind.text]).reverse();
  };
  Search.makeSearchSummary = (htmlText, keywords, anchor) => {
    const terms = Search._kbLast ? Search._kbLast.highlights : [...keywords];
    const sections = window.KBSearch.sectionsOf(htmlText);
    const best = window.KBSearch.bestSection(sections, terms, anchor);
    if (!best || !best.text) return null;
    const summary = document.createElement("p");
    summary.classList.add("context");
    if (best.heading && best !== sections[0]) {
      const heading = summary.appendChild(document.createElement("span"));
      heading.className = "kb-search-section";
      heading.textContent = best.heading + "：";
    }
    summary.appendChild(document.createTextNode(
      window.KBSearch.snippet(best.text, terms, 160).map((piece) => piece.text).join("")));
    return summary;
  };
}
