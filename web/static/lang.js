// The EN/ES switch (web/widgets.py's language_switch; props.titles: the browser tab's title by language). Gradio's
// own language setting lives in the footer's Settings: this calls the same changeLocale of Gradio's front end (found
// among the scripts the page loaded) and also follows ?lang=es in the address. If a later Gradio no longer has it,
// the switch hides itself and the Settings remain. It fires "change" when the page's language changes, however it
// was chosen, so that numbers and alt texts are written again in it (with-page-language.js).
const core = () => {
    const url = performance.getEntriesByType('resource').map((e) => e.name)
        .find((n) => /\/assets\/core-[\w-]+\.js$/.test(n));
    return url ? import(url) : Promise.resolve(null);
};
const buttons = element.querySelectorAll('button');
let shown = pageLanguage();
const mark = () => {
    buttons.forEach((b) => b.setAttribute('aria-pressed', String(pageLanguage() === b.dataset.lang)));
    document.title = props.titles[pageLanguage()] || props.titles.en;  // the browser tab's title
    if (pageLanguage() !== shown) { shown = pageLanguage(); trigger('change'); }
};
new MutationObserver(mark).observe(document.documentElement, {attributes: true, attributeFilter: ['lang']});
const choose = async (lang) => {
    const m = await core();
    if (!m || !m.changeLocale) { element.style.display = 'none'; return; }
    m.changeLocale(lang);
};
buttons.forEach((b) => b.addEventListener('click', () => choose(b.dataset.lang)));
const asked = new URLSearchParams(window.location.search).get('lang');
if (asked === 'en' || asked === 'es') choose(asked);
mark();
