() => {
    // The Undo button, in the page only: the pad repaints without its last stroke and sends what is left (pad.js).
    document.querySelector('#draw canvas')?.dispatchEvent(new Event('undo'));
}
