// On a narrow screen a picture is scaled down to the screen's width, and the 12-px text drawn in it gets too small
// to read: its "Enlarge" button (named in props.zoom, by language) shows it at full size, scrolled sideways inside
// its own box (page.css: .full), and the page itself does not get wider; the maps' buttons follow it. The button is
// there only while the picture shows something (picture.html).
const full = () => element.classList.contains('full');
const mark = () => {
    const box = element.querySelector('.pic'), zoom = element.querySelector('.zoom');
    const name = props.zoom[pageLanguage()] || props.zoom.en;
    if (zoom && zoom.textContent !== name) zoom.textContent = name;
    if (zoom && zoom.getAttribute('aria-pressed') !== String(full())) zoom.setAttribute('aria-pressed', String(full()));
    // when scrolled sideways, its box can be scrolled by keyboard too
    if (box && full() && !box.hasAttribute('tabindex')) box.tabIndex = 0;
    if (box && !full()) box.removeAttribute('tabindex');
};
element.addEventListener('click', (e) => {
    if (!e.target.closest('button.zoom')) return;
    element.classList.toggle('full');
    mark();
});
new MutationObserver(mark).observe(element, {childList: true, subtree: true});
new MutationObserver(mark).observe(document.documentElement, {attributes: true, attributeFilter: ['lang']});
mark();
