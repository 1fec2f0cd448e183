//! wangge: the governance-grid service.

pub mod demo;
