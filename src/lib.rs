
pub mod demo;
