(on) => {
    // The "all ten" checkbox shows or hides the prediction's classes 4 to 10 (page.css: body.all-ten).
    document.body.classList.toggle('all-ten', on);
}
