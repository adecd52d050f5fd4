pub mod bench;
pub mod infer;
pub mod info;
pub mod run;
pub mod tokenize;
