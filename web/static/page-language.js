/* The page's language, two letters: Gradio keeps <html lang> set to the one shown (the browser's, or the one picked),
   else the browser's own. Its one definition: web/widgets.py puts it before every script that calls it. */
const pageLanguage = () => (document.documentElement.lang || navigator.language || 'en').slice(0, 2);
