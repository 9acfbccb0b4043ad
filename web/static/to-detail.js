() => {
    // After a map is picked: its filter opens far below the maps, so the page goes there.
    document.querySelector('#kernel-detail')?.scrollIntoView();
}
