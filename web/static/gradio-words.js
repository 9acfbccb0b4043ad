// Words and numbers Gradio's components write themselves, in English and JavaScript's format whatever the page's
// language: gr.Slider's ends (0.5), its inputs' names, its reset button, gr.Label's percentages (75%) and its empty
// box. Rewritten in the page's language as Gradio draws them (a MutationObserver), from the texts of text.py.
(() => {
  // the texts by language, and Gradio's own aria-labels -> their texts' keys (i18n.gradio_words_head)
  const {WORDS, FIXED, TABS} = JSON.parse(document.getElementById('gradio-words').textContent);
  // the lesson's tab names, by language: Gradio names some tabs again in the old language after a switch
  const TAB_OF = {};
  for (const names of Object.values(TABS)) for (const [i, name] of names.entries()) TAB_OF[name] = i;
  const lang = () => (pageLanguage() === 'es' ? 'es' : 'en');  // page-language.js, put before this
  const said = (key) => WORDS[lang()][key];
  const KEYS = Object.values(FIXED);
  for (const texts of Object.values(WORDS))  // a text written before the language changed is written again
    for (const key of KEYS) FIXED[texts[key]] = key;
  const NAMED = [[/^range slider for (.*)$/s, 'gradio.range'], [/^number input for (.*)$/s, 'gradio.number']];
  const numeral = (v) => {  // JavaScript's 0.5 or -8, or a form this wrote before the language changed
    const s = v.replace('\u2212', '-').replace(',', '.').replace('-', '\u2212');
    return lang() === 'es' ? s.replace('.', ',') : s;
  };
  function fix() {
    for (const el of document.querySelectorAll('[aria-label]')) {
      const v = el.getAttribute('aria-label'), key = FIXED[v];
      if (key && v !== said(key)) el.setAttribute('aria-label', said(key));
      for (const [re, key] of NAMED) {
        const m = v.match(re);
        if (m) el.setAttribute('aria-label', said(key).replace('%(label)s', m[1]));
      }
    }
    for (const el of document.querySelectorAll('#lesson [role="tab"], #lesson button')) {
      const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
      for (let n = walker.nextNode(); n; n = walker.nextNode()) {
        const i = TAB_OF[n.nodeValue.trim()], want = i === undefined ? null : TABS[lang()][i];
        if (want && n.nodeValue.trim() !== want) n.nodeValue = want;
      }
    }
    for (const el of document.querySelectorAll('.min_value, .max_value')) {
      const v = el.textContent.trim();
      if (/^[-\u2212]?\d+([.,]\d+)?$/.test(v) && numeral(v) !== v) el.textContent = numeral(v);
    }
    for (const set of document.querySelectorAll('.confidence-set')) {
      const walker = document.createTreeWalker(set, NodeFilter.SHOW_TEXT);
      for (let n = walker.nextNode(); n; n = walker.nextNode()) {
        const m = n.nodeValue.match(/^(\d+)\u00a0?%$/);
        const want = m && (lang() === 'es' ? m[1] + '\u00a0%' : m[1] + '%');
        if (m && n.nodeValue !== want) n.nodeValue = want;
      }
    }
  }
  let queued = false;
  const soon = () => {
    if (!queued) { queued = true; requestAnimationFrame(() => { queued = false; fix(); }); }
  };
  new MutationObserver(soon).observe(document.documentElement, {
    subtree: true, childList: true, characterData: true, attributes: true, attributeFilter: ['aria-label', 'lang']});
  fix();
})();
