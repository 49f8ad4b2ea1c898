//! sinks: filled in by the foundation work.
