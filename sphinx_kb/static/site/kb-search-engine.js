/*
 * Search engine of the knowledge base: one ranking for the instant panel and the results page.
 *
 * It reads Sphinx's index (Search.setIndex in searchindex.js: page-level words, page titles,
 * section headings with anchors) and _static/kb-search-data.js (which pages are results, and
 * the glossary's alias groups). A query becomes a list of concepts; a concept is matched by
 * any of its alternatives, each a list of words that must all be on the page:
 *
 *  - question and filler words (怎么办, 如何, 为什么, 是什么, 有什么区别, 吗 ...) are removed;
 *  - a glossary alias in the query (截距, dilation rate) brings in the other terms of its entry;
 *  - a Chinese run is cut against the index's own words; two neighbouring words that form an
 *    indexed compound in either order (权重共享 / 共享权重) are one concept, and a compound is
 *    also matched by its parts;
 *  - Latin words match across case, hyphens and spaces: reduce-scatter, reduce scatter and
 *    ReduceScatter are the same concept.
 *
 * A page scores, per concept, 3 for a match in its title, 2 in a section heading, 1 in the text,
 * weighted by the concept's rarity; covering more of the query comes first; the words found as
 * one phrase in a title or heading add a bonus. The result links the best-matching section.
 */
(() => {
  "use strict";

  // Longest first: 有什么区别 goes before 什么, 怎么办 before 怎么.
  const FILLERS = [
    "有什么区别", "有什么不同", "有何区别", "的区别是什么", "区别是什么", "是什么意思", "什么意思", "为什么要",
    "是怎么回事", "怎么回事", "怎么办", "怎么样", "怎么做", "怎么写", "怎么用", "怎么算", "怎么选", "怎么", "怎样",
    "如何", "为什么", "为何", "是什么", "什么是", "什么", "哪些", "哪个", "哪种", "是否", "能否", "能不能",
    "可不可以", "可以", "应该", "需要", "请问", "一下", "到底", "究竟", "区别", "不同", "差别", "有没有",
    "是不是", "有哪些", "怎么理解", "理解", "介绍", "原理是", "多少", "干什么", "干嘛", "用来",
    // how a reader states a problem: the article about the thing is the answer
    "不够用", "不够", "不足", "太大", "太小", "太慢", "太多", "太少", "爆了", "报错", "出错", "解决", "办法",
    "问题", "教程", "入门", "详解", "讲解", "举例", "例子", "一个", "通俗", "原理", "会不会", "不会", "看到",
    "一起", "不行", "就不", "行不行", "好不好", "哪个好", "有用", "用处",
  ].sort((a, b) => b.length - a.length);
  const LATIN_FILLERS = new Set(["how", "what", "why", "is", "are", "the", "a", "an", "to", "do", "does", "of",
    "in", "for", "and", "or", "vs", "versus", "with", "use", "when", "which", "difference", "between"]);
  const TITLE = 3, HEADING = 2, BODY = 1;
  const LONGEST_WORD = 32;  // Chinese characters; jieba's dictionary words are far shorter

  const normalize = (text) => String(text).normalize("NFKC").toLowerCase();
  // for substring tests in titles and headings: no spaces, hyphens, underscores or punctuation
  const squash = (text) => normalize(text).replace(/[^\p{Letter}\p{Number}]+/gu, "");
  const han = /\p{Script=Han}/u;
  const asList = (files) => (files === undefined ? [] : files.length === undefined ? [files] : files);
  const has = (table, key) => Object.prototype.hasOwnProperty.call(table, key);

  let prepared = null;

  // " reduce scatter all gather 显存 " : Latin words apart (CamelCase too), for whole-word tests
  const wordsOf = (text) => " " + String(text).normalize("NFKC").replace(/(?<=[a-z])(?=[A-Z])/g, " ").toLowerCase()
    .replace(/[^\p{Letter}\p{Number}]+/gu, " ").trim() + " ";
  const latinOnly = (text) => !han.test(text);
  // does a title or heading hold this text? Chinese anywhere; a Latin term as whole words, or
  // joined when long enough to be unambiguous (reducescatter in ReduceScatter)
  const holds = (squashed, words, text) => {
    if (!latinOnly(text.squashed)) return squashed.includes(text.squashed);
    return words.includes(text.spaced) || (text.squashed.length >= 6 && squashed.includes(text.squashed));
  };

  function prepare(index, data) {
    if (prepared && prepared.index === index && prepared.data === data) return prepared;
    // the index's own words, looked up where they are rather than copied into a Set first
    const vocabulary = { has: (w) => has(index.terms, w) || has(index.titleterms, w) };
    const pages = new Set(data && data.pages ? data.pages : index.docnames);
    const allowed = new Set();
    index.docnames.forEach((name, i) => { if (pages.has(name)) allowed.add(i); });
    const glossary = data && data.glossary ? index.docnames.indexOf(data.glossary) : -1;
    // wordsOf() of every title, computed by the build (sphinx_kb/search.py); squash() of a
    // title is the same without the spaces
    const built = (data && data.titleWords) || {};
    const form = (title) => (has(built, title) ? [built[title].replace(/ /g, ""), built[title]]
      : [squash(title), wordsOf(title)]);
    const headings = new Map(); // file -> [{title, anchor, squashed, words}]
    Object.entries(index.alltitles).forEach(([title, places]) => {
      let squashed = null, words = null;
      places.forEach(([file, anchor]) => {
        if (!allowed.has(file) || anchor === null) return;
        if (squashed === null) [squashed, words] = form(title);
        if (!headings.has(file)) headings.set(file, []);
        headings.get(file).push({ title, anchor: "#" + anchor, squashed, words });
      });
    });
    const titleForms = index.titles.map(form);
    const titles = titleForms.map((f) => f[0]);
    const titleWords = titleForms.map((f) => f[1]);
    const groups = [];
    const glossaryAnchors = new Map();
    ((data && data.aliases) || []).forEach((entry) => {
      const terms = entry.terms.map(normalize).filter((t) => t);
      groups.push(terms);
      terms.forEach((t) => glossaryAnchors.set(squash(t), entry.anchor));
    });
    // aliases matched as substrings of the query: Han ones anywhere, Latin ones as whole words
    const aliasList = [];
    groups.forEach((terms) => terms.forEach((t) => aliasList.push([t, terms])));
    aliasList.sort((a, b) => b[0].length - a[0].length);
    const stemmer = typeof Stemmer !== "undefined" ? new Stemmer() : null;
    prepared = { index, data, vocabulary, allowed, glossary, headings, titles, titleWords, aliasList,
                 glossaryAnchors, stemmer, stems: new Map() };
    return prepared;
  }

  function segmentHan(run, vocabulary, banned) {
    // best[i]: [cost, words] for run.slice(0, i); a known word costs 1, a dropped character 1.5
    const best = [[0, []]];
    for (let end = 1; end <= run.length; end++) {
      let choice = [best[end - 1][0] + 1.5, best[end - 1][1]];
      for (let length = 2; length <= Math.min(end, LONGEST_WORD); length++) {
        const word = run.slice(end - length, end);
        if (word === banned || !vocabulary.has(word)) continue;
        const cost = best[end - length][0] + 1;
        if (cost < choice[0]) choice = [cost, best[end - length][1].concat([word])];
      }
      best.push(choice);
    }
    return best[run.length][1];
  }

  function stem(p, word) {
    if (!p.stemmer || han.test(word)) return word;
    let s = p.stems.get(word);
    if (s === undefined) { s = p.stemmer.stemWord(word); p.stems.set(word, s); }
    return s;
  }

  // the index keys a Latin word may be filed under
  function latinKeys(p, word) {
    const keys = [word, stem(p, word)];
    return [...new Set(keys)].filter((k) => p.vocabulary.has(k));
  }

  function removeFillers(text) {
    let out = text;
    FILLERS.forEach((f) => { out = out.split(f).join(" "); });
    return out;
  }

  // words apart: a space between Han and Latin, no punctuation, hyphens or underscores
  const spaced = (text) => " " + String(text).normalize("NFKC")
    .replace(/(\p{Script=Han})(?=[^\p{Script=Han}])|([^\p{Script=Han}])(?=\p{Script=Han})/gu, "$1$2 ")
    .replace(/[^\p{Letter}\p{Number}]+/gu, " ").replace(/ +/g, " ").trim() + " ";

  /* The query as concepts: {alts: [{words, text, factor}], phrase, label}. */
  function analyze(p, query) {
    let text = spaced(query);  // case kept, for CamelCase
    let lower = text.toLowerCase();
    if (lower.length !== text.length) text = lower;
    const concepts = [];
    const highlights = new Set();
    const blank = (at, length) => {
      text = text.slice(0, at) + " ".repeat(length) + text.slice(at + length);
      lower = lower.slice(0, at) + " ".repeat(length) + lower.slice(at + length);
    };
    // glossary aliases first, longest first (before filler removal: an alias may hold 什么)
    for (const [alias, terms] of p.aliasList) {
      let found = false;
      if (han.test(alias) && !/[a-z0-9]/.test(alias)) {
        const at = lower.indexOf(alias);
        if (at !== -1) { blank(at, alias.length); found = true; }
      } else {
        for (const key of new Set([spaced(alias).toLowerCase(), " " + squash(alias) + " "])) {
          const at = lower.indexOf(key);
          if (at !== -1) { blank(at + 1, key.length - 2); found = true; break; }
        }
      }
      if (!found) continue;
      const alts = terms.map((t) => ({ text: t, words: termWords(p, t), factor: t === alias ? 1 : 0.9 }))
        .filter((a) => a.words.length);
      if (alts.length) concepts.push({ alts, phrase: squash(alias), label: alias, alias: true });
      terms.forEach((t) => highlights.add(t));
    }
    const latin = [];
    const flushLatin = () => {
      // neighbouring Latin words that the index holds joined are one concept (reduce scatter)
      const words = latin.filter((w) => !LATIN_FILLERS.has(w) || latin.length === 1);
      for (let i = 0; i < words.length; i++) {
        const word = words[i];
        const next = words[i + 1];
        if (next !== undefined && latinKeys(p, word + next).concat(latinKeys(p, word + "_" + next)).length) {
          concepts.push({ alts: [{ words: [word + next], factor: 1 }, { words: [word + "_" + next], factor: 1 },
                                 { words: [word, next], factor: 0.8 }], phrase: word + next, label: word + next });
          highlights.add(word); highlights.add(next);
          i++;
          continue;
        }
        concepts.push({ alts: [{ words: [word], factor: 1 }], phrase: word, label: word });
        highlights.add(word);
      }
      latin.length = 0;
    };
    for (const token of text.split(" ").filter((t) => t)) {
      if (han.test(token)) {
        flushLatin();
        removeFillers(token.toLowerCase()).split(" ").filter((r) => r).forEach((run) => hanConcepts(p, run, concepts, highlights));
        continue;
      }
      // CamelCase splits into words: ReduceScatter -> reduce scatter
      const parts = token.split(/(?<=[a-z])(?=[A-Z])/).map((w) => w.toLowerCase());
      if (parts.length > 1) {
        flushLatin();
        const word = token.toLowerCase();
        concepts.push({ alts: [{ words: [word], factor: 1 }, { words: parts, factor: 0.9 }], phrase: word, label: word });
        highlights.add(word); parts.forEach((w) => highlights.add(w));
        continue;
      }
      latin.push(token.toLowerCase());
    }
    flushLatin();
    return { concepts, highlights: [...highlights].filter((h) => h.length > 1 || !han.test(h)) };
  }

  function termWords(p, term) {
    const words = [];
    normalize(term).split(/[^\p{Letter}\p{Number}]+/u).filter((t) => t).forEach((token) => {
      for (const m of token.matchAll(/(\p{Script=Han}+)|([^\p{Script=Han}]+)/gu)) {
        if (m[2]) words.push(m[2]);
        else if (p.vocabulary.has(m[1])) words.push(m[1]);
        else words.push(...segmentHan(m[1], p.vocabulary));
      }
    });
    return words;
  }

  function hanConcepts(p, run, concepts, highlights) {
    const words = segmentHan(run, p.vocabulary);
    for (let i = 0; i < words.length; i++) {
      const a = words[i], b = words[i + 1];
      if (b !== undefined && (p.vocabulary.has(a + b) || p.vocabulary.has(b + a))) {
        const alts = [{ words: [a + b], factor: 1 }, { words: [b + a], factor: 1 }, { words: [a, b], factor: 0.8 }]
          .filter((x) => x.words.every((w) => p.vocabulary.has(w)));
        concepts.push({ alts, phrase: a + b, label: a + b });
        highlights.add(a + b); highlights.add(b + a); highlights.add(a); highlights.add(b);
        i++;
        continue;
      }
      const alts = [{ words: [a], factor: 1 }];
      if (a.length >= 3) {
        const parts = segmentHan(a, p.vocabulary, a);
        if (parts.length > 1 && parts.join("").length === a.length) alts.push({ words: parts, factor: 0.8 });
        if (parts.length === 2) alts.push({ words: [parts[1] + parts[0]], factor: 1 });
      }
      concepts.push({ alts: alts.filter((x) => x.words.every((w) => p.vocabulary.has(w))), phrase: a, label: a });
      highlights.add(a);
    }
  }

  // files -> weight (title 3 / body 1) of one word
  function wordFiles(p, word) {
    const index = p.index;
    const hits = new Map();
    const add = (files, weight) => files.forEach((f) => hits.set(f, Math.max(hits.get(f) || 0, weight)));
    const keys = han.test(word) ? [word] : latinKeys(p, word);
    keys.forEach((k) => {
      if (has(index.terms, k)) add(asList(index.terms[k]), BODY);
      if (has(index.titleterms, k)) add(asList(index.titleterms[k]), BODY);
    });
    if (hits.size === 0 && !han.test(word) && word.length > 3) {
      // no such word: words of the index that contain it (checkpoint in checkpointing)
      const s = stem(p, word);
      [index.terms, index.titleterms].forEach((table) => {
        for (const t in table) if (t.includes(s)) add(asList(table[t]), BODY * 0.5);
      });
    }
    return hits;
  }

  function altText(alt) {
    return alt.text !== undefined ? alt.text : alt.words.join(han.test(alt.words.join("")) ? "" : " ");
  }

  function search(index, data, query) {
    const p = prepare(index, data);
    const { concepts, highlights } = analyze(p, query);
    const usable = concepts.filter((c) => c.alts.length);
    const pages = new Map(); // file -> {score, covered, heading: {anchor -> score}}
    const fileCount = p.allowed.size || 1;
    let totalIdf = 0;
    usable.forEach((concept) => {
      const found = new Map(); // file -> best body weight
      concept.alts.forEach((alt) => {
        let files = null;
        alt.words.forEach((w) => {
          const hits = wordFiles(p, w);
          if (files === null) files = hits;
          else files = new Map([...files].filter(([f]) => hits.has(f)).map(([f, v]) => [f, Math.min(v, hits.get(f))]));
        });
        (files || new Map()).forEach((v, f) => found.set(f, Math.max(found.get(f) || 0, v * alt.factor)));
      });
      // titles and headings, as text: the phrase and each alternative
      const texts = [];
      const seen = new Set();
      [concept.phraseText || concept.phrase, ...concept.alts.map(altText)].forEach((t) => {
        const text = { squashed: squash(t), spaced: wordsOf(t) };
        if (!text.squashed || seen.has(text.squashed) || (text.squashed.length < 2 && han.test(t))) return;
        seen.add(text.squashed);
        texts.push(text);
      });
      p.allowed.forEach((file) => {
        if (texts.some((t) => holds(p.titles[file], p.titleWords[file], t))) found.set(file, Math.max(found.get(file) || 0, TITLE));
      });
      p.headings.forEach((list, file) => {
        let count = 0;
        list.forEach((h) => {
          if (texts.some((t) => holds(h.squashed, h.words, t))) {
            count += 1;
            const page = pages.get(file) || { score: 0, covered: 0, concepts: 0, sections: new Map() };
            page.sections.set(h, (page.sections.get(h) || 0) + 1);
            pages.set(file, page);
          }
        });
        // a page with several sections on the concept is about it: a stand-in for word counts
        if (count) found.set(file, Math.max(found.get(file) || 0, HEADING) + 0.15 * Math.min(count - 1, 4));
      });
      const matched = [...found.keys()].filter((f) => p.allowed.has(f));
      if (!matched.length) return;
      const idf = Math.log(1 + fileCount / matched.length);
      totalIdf += idf;
      matched.forEach((file) => {
        const page = pages.get(file) || { score: 0, covered: 0, concepts: 0, sections: new Map() };
        const weight = found.get(file) * (concept.alias ? 1.2 : 1);
        page.score += weight * idf;
        page.covered += idf * Math.min(1, (1 + weight) / (1 + TITLE));  // a title match covers fully
        page.concepts += 1;
        pages.set(file, page);
      });
    });
    // the query's words as one phrase in a title or heading
    const whole = usable.map((c) => c.phrase).join("");
    const results = [];
    pages.forEach((page, file) => {
      if (!page.covered) return;
      // coverage of the query (rare words count more) first, then title > heading > text
      let score = 100 * (page.covered / Math.max(1e-9, totalIdf)) + 20 * (page.concepts / usable.length) + 5 * page.score;
      let section = null, best = 0;
      page.sections.forEach((n, h) => { if (n > best) { best = n; section = h; } });
      if (whole.length > 1 && usable.length > 1) {
        if (p.titles[file].includes(whole)) score += 30;
        else if (section && section.squashed.includes(whole)) score += 20;
      }
      let anchor = section ? section.anchor : "";
      if (file === p.glossary) {
        score *= 0.6;  // the glossary mentions everything; the article explains it
        const entry = usable.map((c) => p.glossaryAnchors.get(c.phrase)).find((a) => a);
        anchor = entry ? "#" + entry : anchor;
      }
      results.push({ file, docname: index.docnames[file], title: index.titles[file], anchor,
                     section: section && section.title !== index.titles[file] ? section.title : "",
                     score: Math.round(score * 100) / 100 });
    });
    results.sort((a, b) => b.score - a.score || a.docname.localeCompare(b.docname));
    return { results, highlights, concepts: usable.map((c) => c.label) };
  }

  /* Text copy of a page (_search/<page>.html): its sections, headings and text. */
  function sectionsOf(html) {
    const doc = new DOMParser().parseFromString(html, "text/html");
    const main = doc.querySelector('[role="main"]') || doc.body;
    const out = [];
    main.querySelectorAll("section[id]").forEach((sec) => {
      const own = [];
      sec.childNodes.forEach((n) => { if (!(n.nodeType === 1 && n.tagName === "SECTION")) own.push(n.textContent); });
      const text = own.join("");
      const heading = text.trim().split("\n")[0].trim();
      out.push({ anchor: "#" + sec.id, heading, text: text.replace(/\s+/g, " ").trim() });
    });
    if (!out.length) out.push({ anchor: "", heading: "", text: main.textContent.replace(/\s+/g, " ").trim() });
    return out;
  }

  function findTerms(text, terms) {
    const lower = normalize(text);
    const hits = [];
    terms.forEach((t) => {
      const term = normalize(t);
      let at = lower.indexOf(term);
      while (at !== -1 && hits.length < 200) { hits.push([at, at + term.length]); at = lower.indexOf(term, at + term.length); }
    });
    return hits.sort((a, b) => a[0] - b[0]);
  }

  /* The section whose text holds the most query words, and a snippet around them. */
  function bestSection(sections, terms, anchor) {
    let best = null, bestScore = -1;
    sections.forEach((s, i) => {
      const distinct = new Set(findTerms(s.text, terms).map(([a, b]) => s.text.slice(a, b).toLowerCase()));
      const score = distinct.size * 10 + (anchor && s.anchor === anchor ? 25 : 0) - i * 0.01 - (i === 0 ? 5 : 0);
      if (score > bestScore) { bestScore = score; best = s; }
    });
    return best;
  }

  /* [{text, mark}] pieces of about `width` characters around the first match. */
  function snippet(text, terms, width = 90) {
    const hits = findTerms(text, terms);
    const start = hits.length ? Math.max(0, hits[0][0] - Math.floor(width / 3)) : 0;
    const end = Math.min(text.length, start + width);
    const pieces = [];
    if (start > 0) pieces.push({ text: "…" });
    let at = start;
    hits.filter(([a, b]) => a >= start && b <= end).forEach(([a, b]) => {
      if (a < at) return;
      if (a > at) pieces.push({ text: text.slice(at, a) });
      pieces.push({ text: text.slice(a, b), mark: true });
      at = b;
    });
    if (at < end) pieces.push({ text: text.slice(at, end) });
    if (end < text.length) pieces.push({ text: "…" });
    return pieces;
  }

  window.KBSearch = { search, analyze: (index, data, q) => analyze(prepare(index, data), q), sectionsOf,
                      bestSection, snippet, normalize, squash, wordsOf };
})();
