() => {
    // A step's tab opened: the address bar says which (?step=<id>), so that a teacher can copy a link to it.
    const tab = document.querySelector('#lesson [role="tab"][aria-selected="true"]');
    const step = tab?.id.match(/^step-([a-z0-9]+)-button$/)?.[1];
    if (!step) return;
    const address = new URL(window.location.href);
    address.searchParams.set('step', step);
    window.history.replaceState(null, '', address);
}
