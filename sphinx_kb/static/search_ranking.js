/*
 * Ranking of full-text results (deep-learning knowledge base).
 *
 * Sphinx requires every query word to be on a page and scores a page by its single best
 * word, so one word the index lacks ("仍然", "batch_size=1") empties the result list and
 * pages that match every word rank no higher than pages that match one. Readers type
 * several words; we rank pages by how much of the query they cover, weighting each word by
 * its rarity (IDF) and a title hit above a body hit.
 *
 * Sphinx embeds this file in language_data.js (html_search_scorer), after searchtools.js.
 */
if (typeof Search !== "undefined") {
  Search.performTermsSearch = (searchTerms, excludedTerms) => {
    const index = Search._index;
    const terms = index.terms;
    const titleTerms = index.titleterms;
    const fileCount = index.docnames.length;
    const asList = (files) => (files === undefined ? [] : files.length === undefined ? [files] : files);
    const lookup = (table, word) => (Object.prototype.hasOwnProperty.call(table, word) ? asList(table[word]) : []);

    const pages = new Map(); // file -> {score, words}
    searchTerms.forEach((word) => {
      const hits = new Map(); // file -> weight of this word on that page
      const add = (files, weight) => files.forEach((f) => hits.set(f, Math.max(hits.get(f) || 0, weight)));
      add(lookup(terms, word), 1);
      add(lookup(titleTerms, word), 3);
      if (hits.size === 0 && word.length > 2) {
        // no exact word: words of the index that contain it (e.g. "checkpoint" in "checkpointing")
        Object.keys(terms).forEach((t) => t.includes(word) && add(asList(terms[t]), 0.5));
        Object.keys(titleTerms).forEach((t) => t.includes(word) && add(asList(titleTerms[t]), 1.5));
      }
      if (hits.size === 0) return;
      const idf = Math.log(1 + fileCount / hits.size);
      hits.forEach((weight, file) => {
        const page = pages.get(file) || { score: 0, words: 0 };
        page.score += weight * idf;
        page.words += 1;
        pages.set(file, page);
      });
    });

    const excluded = new Set();
    excludedTerms.forEach((word) => {
      lookup(terms, word).forEach((f) => excluded.add(f));
      lookup(titleTerms, word).forEach((f) => excluded.add(f));
    });

    const wanted = Math.max(1, searchTerms.size);
    const results = [];
    pages.forEach((page, file) => {
      if (excluded.has(file)) return;
      // coverage dominates; IDF-weighted hits order pages that cover the same share
      const score = Math.round(100 * (page.words / wanted) + 10 * page.score);
      results.push([index.docnames[file], index.titles[file], "", null, score,
                    index.filenames[file], SearchResultKind.text]);
    });
    return results;
  };
}
