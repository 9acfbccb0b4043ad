() => {
    // The Clear button, before its Python function: the pad forgets its strokes (pad.js), and the address its step
    // (the page goes back to the first, as a fresh page opens).
    document.querySelector('#draw canvas')?.dispatchEvent(new Event('clear'));
    const address = new URL(window.location.href);
    if (address.searchParams.has('step')) {
        address.searchParams.delete('step');
        window.history.replaceState(null, '', address);
    }
}
