/* The pad's events send the canvas as it is when the event goes out, not the value the pad had when it fired: a live
   drawing sent while the last one is read waits (always_last), and by then the server has put READ in the pad's
   value. The last input is the page's language. */
(pad, ...rest) => [document.querySelector('#draw canvas')?.drawing?.() ?? pad, ...rest.slice(0, -1), pageLanguage()]
