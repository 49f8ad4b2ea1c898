//! formats: filled in by the foundation work.
