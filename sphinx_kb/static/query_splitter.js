/*
 * splitQuery for Chinese (deep-learning knowledge base).
 *
 * Sphinx calls it for the words to highlight on the results page and on the page a result
 * opens. The words are those kb-search-engine.js looks for: question words dropped, Chinese
 * runs cut against the index's own words, glossary aliases added. Before the engine and the
 * index are there, Latin words and Chinese runs are split as Sphinx does.
 */
var splitQuery = (query) => {
  const index = typeof Search !== "undefined" ? Search._index : null;
  if (index && window.KBSearch) return window.KBSearch.analyze(index, window.KB_SEARCH_DATA, query).highlights;
  return query
    .split(/[^\p{Letter}\p{Number}_\p{Emoji_Presentation}]+/gu)
    .filter((term) => term);
};
