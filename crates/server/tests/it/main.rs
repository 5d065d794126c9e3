//! Integration tests: each test starts a real roost on port 0 with its own data dir and
//! talks to it over HTTP.

mod support;
mod smoke;
mod mastodon_py;
