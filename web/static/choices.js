// A picture's buttons (a map of a layer, a digit of a row) are one Tab stop: the arrow keys move between them and
// Enter or a click picks one, which fires "select" with the button's data-index as gr.SelectData.index.
const buttons = () => [...element.querySelectorAll('button[data-index]')];
element.addEventListener('click', (e) => {
    const b = e.target.closest('button[data-index]');
    if (!b) return;
    buttons().forEach((o) => o.tabIndex = o === b ? 0 : -1);
    trigger('select', {index: JSON.parse(b.dataset.index), value: null});
});
element.addEventListener('keydown', (e) => {
    const all = buttons(), i = all.indexOf(document.activeElement);
    const step = {ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1}[e.key];
    if (i < 0 || !step) return;
    e.preventDefault();
    const next = all[(i + step + all.length) % all.length];
    all.forEach((o) => o.tabIndex = o === next ? 0 : -1);
    next.focus();
});
