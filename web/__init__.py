"""The page: its steps, parts and events as data (registry.py), what each event does (handlers.py), what it shows
(views, pictures, texts in two languages), its scripts and styles (static/), and the door every request passes."""
