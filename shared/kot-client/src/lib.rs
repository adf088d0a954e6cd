//! placeholder: the crate lands with issue 3
