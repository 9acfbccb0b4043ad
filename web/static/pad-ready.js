() => {
    // For tests and benchmarks, which draw as soon as they can: true once the pad's script has run and nothing covers
    // the pad (Gradio lays a translucent veil over the page for a moment while it finishes loading, and it eats
    // strokes). Playwright takes it for a function only if it starts as one: no comment above it.
    const c = document.querySelector('#draw canvas[data-ready]');
    if (!c) return false;
    const r = c.getBoundingClientRect();
    return document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2) === c;
}
