//! Core scenarios: filled in below.
