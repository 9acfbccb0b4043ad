/* An event's inputs as they are, but the last: the page's language, whatever that input's value was then. */
(...inputs) => [...inputs.slice(0, -1), pageLanguage()]
