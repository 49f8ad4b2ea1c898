//! Helpers for end-to-end tests: start the real `weir` binary and talk to it over HTTP.
