// The drawing pad (web/widgets.py's drawing_pad; its props: brush, live_ms, names). Strokes are kept as point lists
// so that Undo can repaint without the last one. On pen-up the canvas sets the value and triggers "drawn"; the Undo
// and Clear buttons reach it through the "undo" and "clear" DOM events.
const canvas = element.querySelector('canvas');
const ctx = canvas.getContext('2d');
const strokes = [];
let current = null;
let sentAt = 0;
let count = 0;  // the pad's sends, numbered, so that the server can drop a live reading sent before a pen-up

function paintBackground() {
    ctx.fillStyle = 'white';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.strokeStyle = ctx.fillStyle = 'black';
    ctx.lineWidth = props.brush;
    ctx.lineCap = ctx.lineJoin = 'round';
}
function dot(p) {
    ctx.beginPath();
    ctx.arc(p[0], p[1], props.brush / 2, 0, 2 * Math.PI);
    ctx.fill();
}
function segment(a, b) {
    ctx.beginPath();
    ctx.moveTo(a[0], a[1]);
    ctx.lineTo(b[0], b[1]);
    ctx.stroke();
}
function repaint() {
    paintBackground();
    for (const s of strokes) {
        dot(s[0]);
        for (let i = 1; i < s.length; i++) segment(s[i - 1], s[i]);
    }
}
function point(e) {
    const r = canvas.getBoundingClientRect();
    return [(e.clientX - r.left) * canvas.width / r.width, (e.clientY - r.top) * canvas.height / r.height];
}
// "sketch" while the pen moves, "drawn" at pen-up and Undo; the pen-up goes out at once, never waiting for a live
// reading (the server drops one sent before it). The value is set so that the server's reply ("" or READ) changes it.
function send(kind) {
    sentAt = performance.now();
    props.value = strokes.length ? canvas.toDataURL('image/png') : '';
    trigger(kind, {n: ++count});
}

canvas.addEventListener('pointerdown', (e) => {
    if (e.button !== 0) return;
    e.preventDefault();
    canvas.setPointerCapture(e.pointerId);
    current = [point(e)];
    strokes.push(current);
    dot(current[0]);
    sentAt = performance.now();  // the first live reading once the pen has moved for a while: a tap needs none
});
canvas.addEventListener('pointermove', (e) => {
    if (!current) return;
    e.preventDefault();
    // coalesced events keep fast pen and finger strokes smooth
    const events = e.getCoalescedEvents ? e.getCoalescedEvents() : [e];
    for (const ev of (events.length ? events : [e])) {
        const p = point(ev);
        segment(current[current.length - 1], p);
        current.push(p);
    }
    // live: the drawing so far, at most every live_ms (and one at a time: the event is "always_last")
    if (performance.now() - sentAt > props.live_ms) send('sketch');
});
function penUp(e) {
    if (!current) return;
    current = null;
    send('drawn');
}
canvas.addEventListener('pointerup', penUp);
canvas.addEventListener('pointercancel', penUp);
canvas.addEventListener('undo', () => {
    if (!strokes.length) return;
    strokes.pop();
    repaint();
    send('drawn');
});
canvas.addEventListener('clear', () => {
    strokes.length = 0;
    current = null;
    repaint();
    props.value = '';
});
// the server resets the value to "" when the app is cleared some other way (and to READ after each reading)
watch('value', () => {
    if (!props.value && strokes.length) {
        strokes.length = 0;
        repaint();
    }
});
// its name for screen readers, in the page's language
const name = () => canvas.setAttribute('aria-label', props.names[pageLanguage()] || props.names.en);
new MutationObserver(name).observe(document.documentElement, {attributes: true, attributeFilter: ['lang']});
name();
// the drawing as it is now, for the event's own js (drawn.js), which runs when the event is really sent
canvas.drawing = () => strokes.length ? canvas.toDataURL('image/png') : '';
repaint();
canvas.dataset.ready = '';  // the pen works from now on (see pad-ready.js)
