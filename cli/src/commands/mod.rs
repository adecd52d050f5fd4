pub mod info;
pub mod infer;
