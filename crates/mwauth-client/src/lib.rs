//! Placeholder: the client library (issue 7).
