// The page's watch over the process that holds its session (web/replica.py puts it in the page's head).
//
// Behind nginx with several processes of the app (deploy/), each answer names the process ("replica") that gave
// it, in the X-Replica header. A session's state lives in one process: when that process dies, nginx sends the
// visitor's next call to another one, which makes a fresh session (its gr.State values the defaults) while the page
// still shows the old one. So an answer from another replica than this page's first answer means the session is
// gone: the page says so in its language and reloads as a fresh page, which says it again (sessionStorage carries
// the language across the reload, and ?lang= keeps the page in it).
//
// Gradio's own front end (6.x) notices a lost stream or an unknown session itself: it stops sending events, shows
// "Connection Lost" and asks /gradio_api/app_id every 2 s, reloading once the app answers. This script asks it too,
// when the page starts and at once when a stream breaks or nginx finds no replica for a call (502), and reads
// Gradio's asking: an answer from another replica, or from a process with another app_id (the same replica
// started again, or one process and no nginx), is the same loss, and the page reloads with its sentence instead.
(() => {
    const KEY = 'mnist-cnn-replica-lost';  // sessionStorage: set to the language of a page that was lost
    const READ_MS = 5000;  // the fresh page's sentence stays at least this long
    const AGAIN_MS = 1000;  // the page's line to its replica is opened again this long after it ended
    const said = JSON.parse(document.getElementById('replica-text').textContent);  // {en: ..., es: ...}
    const root = ((window.gradio_config && window.gradio_config.root) || window.location.href.split(/[?#]/)[0])
        .replace(/\/+$/, '');
    const APP_ID = `${root}/gradio_api/app_id`;  // Gradio's id of the process, new each time one starts
    let ours = null;  // the replica that answered this page first (nginx's X-Replica), and the app_id it gave
    let oursApp = null;
    let leaving = false;

    const language = () => ((document.documentElement.lang || 'en').slice(0, 2) === 'es' ? 'es' : 'en');

    function show(lang) {
        let note = document.getElementById('replica-lost');
        if (!note) {
            note = document.createElement('div');
            note.id = 'replica-lost';
            note.setAttribute('role', 'status');  // read out by screen readers once its text is set
            Object.assign(note.style, {
                padding: '6px 10px', margin: '8px 0', borderLeft: '4px solid #b45309', background: '#fff7ed',
                color: '#222',
            });
            const main = document.getElementById('main');  // the row of the pad and the prediction
            if (main) main.before(note); else document.body.prepend(note);
        }
        requestAnimationFrame(() => {  // after the empty region is in the page, so that the text is announced
            note.lang = lang;
            note.textContent = said[lang] || said.en;
        });
        return note;
    }

    function lost() {
        if (leaving) return;
        leaving = true;
        const lang = language();
        try {
            sessionStorage.setItem(KEY, lang);
        } catch (e) { /* storage refused: the fresh page comes without the sentence */ }
        document.documentElement.classList.add('replica-lost');  // hides Gradio's "Connection Lost" (below)
        show(lang);
        const fresh = new URL(window.location.href);
        fresh.searchParams.set('lang', lang);  // the language switch follows ?lang= (web/widgets.py)
        window.location.replace(fresh);
    }

    function check(url, response) {
        const replica = response.headers.get('X-Replica');
        if (replica) {
            if (ours === null) ours = replica;
            else if (replica !== ours) return lost();
        }
        if (url.pathname.endsWith('/app_id') && response.ok) {
            response.clone().json().then((answer) => {
                if (oursApp === null) oursApp = answer.app_id;
                else if (answer.app_id !== oursApp) lost();  // the same address, but a process started since
            }, () => {});
        }
        if (response.status === 502) probe();  // nginx: no replica answered this call
    }

    // Who answers: Gradio's own question (the app's id), asked when the page's line to its replica opens (below)
    // and at once when a call fails. No answer: Gradio goes on asking every 2 s, and its answers pass here too.
    let probing = false;
    function probe() {
        if (probing || leaving) return;
        probing = true;
        const asked = new URL(APP_ID);
        fetched(asked, {cache: 'no-store'}).then((response) => check(asked, response), () => {})
            .finally(() => { probing = false; });
    }

    // A stream of answers (Server-Sent Events), passed on unchanged; if it breaks (not when Gradio closes it), who
    // answers now is asked at once.
    function watched(url, response) {
        if (!response.body || !/\/gradio_api\/(queue\/data|heartbeat\/)/.test(url.pathname)) return response;
        const reader = response.body.getReader();
        const body = new ReadableStream({
            async pull(controller) {
                let part;
                try {
                    part = await reader.read();
                } catch (error) {
                    if (error.name !== 'AbortError') probe();
                    controller.error(error);
                    return;
                }
                if (part.done) controller.close();
                else controller.enqueue(part.value);
            },
            cancel: (reason) => reader.cancel(reason),
        });
        return new Response(body, {status: response.status, statusText: response.statusText,
                                   headers: response.headers});
    }

    // Gradio's client calls the global fetch for its queue joins, streams and app_id: every answer passes here.
    const fetched = window.fetch.bind(window);
    window.fetch = async (input, init) => {
        const response = await fetched(input, init);
        let url = null;
        try {
            url = new URL(input instanceof Request ? input.url : String(input), window.location.href);
        } catch (e) { /* a URL this script cannot read is none of its business */ }
        if (!url || leaving || !url.pathname.includes('/gradio_api/')) return response;
        check(url, response);
        return watched(url, response);
    };

    // The page's own line to its replica: Gradio's heartbeat stream, under a name of its own (Gradio's was opened
    // before this script could watch it). Each time it opens, who answers is asked; when it ends or breaks, it is
    // opened again: an idle page learns of a lost replica, or of its one process started again, at once.
    function watch() {
        if (leaving) return;
        const line = `${root}/gradio_api/heartbeat/replica-${Math.random().toString(36).slice(2)}`;
        window.fetch(line, {cache: 'no-store'})
            .then((response) => {
                probe();
                return response.body && response.body.pipeTo(new WritableStream());
            })
            .catch(() => { /* no answer: asked again below */ })
            .finally(() => setTimeout(watch, AGAIN_MS));
    }
    watch();

    const style = document.createElement('style');
    style.textContent = 'html.replica-lost .toast-wrap { display: none; }';
    document.head.append(style);

    let was = null;
    try {
        was = sessionStorage.getItem(KEY);
        sessionStorage.removeItem(KEY);
    } catch (e) { /* no storage: nothing to say */ }
    if (was === 'en' || was === 'es') {
        // Once the page is built, above the pad. It goes when the pen touches the pad, but not in its first seconds:
        // a stroke begun on the lost page may end on this one.
        const shown = () => {
            const note = show(was);
            const since = Date.now();
            document.addEventListener('pointerdown', (e) => {
                if (Date.now() - since > READ_MS && e.target.closest && e.target.closest('#draw')) note.remove();
            });
        };
        const ready = () => document.getElementById('main');
        if (ready()) shown();
        else {
            const watch = new MutationObserver(() => {
                if (ready()) {
                    watch.disconnect();
                    shown();
                }
            });
            watch.observe(document.documentElement, {childList: true, subtree: true});
        }
    }
})();
