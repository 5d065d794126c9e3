//! roost-web: the web pages roost serves itself — server-rendered HTML over the same use
//! cases as the API, sessions and CSRF, RSS/Atom feeds and the static assets.
