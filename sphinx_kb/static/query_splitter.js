/*
 * splitQuery for Chinese (deep-learning knowledge base).
 *
 * Latin words, numbers and acronyms are split as Sphinx does. A run of Chinese characters
 * is segmented against the words of the search index (terms and title terms), taking the
 * segmentation with the fewest words; characters that form no indexed word are dropped so
 * that a stray particle (的, 和) does not make the whole query fail.
 */
var _kbVocabulary = null;
var _kbVocabularyIndex = null;
var _kbMaxWordLength = 1;

function _kbLoadVocabulary() {
  const index = typeof Search !== "undefined" ? Search._index : null;
  if (!index) return null;
  if (_kbVocabularyIndex !== index) {
    _kbVocabulary = new Set([...Object.keys(index.terms || {}), ...Object.keys(index.titleterms || {})]);
    _kbMaxWordLength = 1;
    _kbVocabulary.forEach((word) => {
      if (word.length > _kbMaxWordLength) _kbMaxWordLength = word.length;
    });
    _kbVocabularyIndex = index;
  }
  return _kbVocabulary;
}

function _kbSegmentHan(run, vocabulary) {
  // best[i]: [cost, words] for run.slice(0, i); a known word costs 1, a dropped character 1.5
  const best = [[0, []]];
  for (let end = 1; end <= run.length; end++) {
    let choice = [best[end - 1][0] + 1.5, best[end - 1][1]];
    const longest = Math.min(end, _kbMaxWordLength);
    for (let length = 2; length <= longest; length++) {
      const word = run.slice(end - length, end);
      if (!vocabulary.has(word)) continue;
      const cost = best[end - length][0] + 1;
      if (cost < choice[0]) choice = [cost, best[end - length][1].concat([word])];
    }
    best.push(choice);
  }
  const words = best[run.length][1];
  // nothing indexed at all: keep the run itself, so the reader sees "no results" for it
  return words.length ? words : [run];
}

var splitQuery = (query) => {
  const vocabulary = _kbLoadVocabulary();
  const parts = [];
  query
    .split(/[^\p{Letter}\p{Number}_\p{Emoji_Presentation}]+/gu)
    .filter((term) => term)
    .forEach((term) => {
      for (const match of term.matchAll(/(\p{Script=Han}+)|([^\p{Script=Han}]+)/gu)) {
        if (match[2]) parts.push(match[2]);
        else if (vocabulary) parts.push(..._kbSegmentHan(match[1], vocabulary));
        else parts.push(match[1]);
      }
    });
  return parts;
};
