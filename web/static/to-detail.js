() => {
    // After a map is picked: its filter's close-up sits beside the maps; the page moves only as far as it must
    // to show it ("nearest": not at all when it is in view).
    document.querySelector('#kernel-detail')?.scrollIntoView({block: 'nearest'});
}
