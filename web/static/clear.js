() => {
    // The Clear button, before its Python function: the pad forgets its strokes (pad.js).
    document.querySelector('#draw canvas')?.dispatchEvent(new Event('clear'));
}
