//! End-to-end tests against the real worker on workerd (`wrangler dev`) with a local D1.
//! `make test` builds the worker first; these tests start their own instances.

mod helpers;

mod access;
mod accounts;
mod admin_audit;
mod anonymity;
mod bad_input;
mod browser;
mod config;
mod contract;
mod credentials;
mod criteria;
mod integrity;
mod layout;
mod live_results;
mod local_days;
mod month_to_date;
mod one_time;
mod org_admin;
mod polish;
mod public;
mod requests;
mod results;
mod review_undo;
mod rights;
mod scale;
mod schema;
mod scopes;
mod tokens;
mod two_workers;
mod votes;
