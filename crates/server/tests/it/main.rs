//! Integration tests: each test starts a real roost on port 0 with its own data dir and
//! talks to it over HTTP.

mod accounts;
mod advertised;
mod errors;
mod forgery;
mod fuzz;
mod grouped_notifications;
mod hardening;
mod masto_js;
mod mastodon_py;
mod media;
mod moderation;
mod notifications;
mod oauth;
mod organise_lists;
mod organise_polls;
mod policy_matrix;
mod polls_regions;
mod profiles_regions;
mod regions;
mod restart;
mod rogue;
mod safety;
mod search;
mod smoke;
mod startup;
mod statuses;
mod streaming;
mod support;
mod timelines;
mod visibility;
mod web_browser;
mod web_live;
mod web_pages;
mod web_polls;
mod web_safety;
