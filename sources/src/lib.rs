//! sources: filled in by the foundation work.
