//! The converter reads and converts a block of rows at a time (`Options::block_bytes`): any block
//! size gives the bytes of converting each tensor whole, and a bad value in a later block is
//! reported at its place in the whole tensor.

use std::path::{Path, PathBuf};

use electra_convert::{convert, ConvertError, Options, WeightType};
use safetensors::tensor::{Dtype, SafeTensors, TensorView};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/models").join(name)
}

#[test]
fn blocks_of_any_size_give_the_same_file() {
    // block_bytes = 1 gives one 16-row panel per block: the 96-row embedding tables and LM heads,
    // and the 64-row FFN weights, take several blocks, the 3-row classifier a partial one.
    for name in ["seqcls", "masked_lm_untied", "pretraining", "bert_base"] {
        for weight_type in [WeightType::Int8, WeightType::F16, WeightType::F32] {
            let whole = convert(&Options::new(fixture(name), weight_type)).unwrap();
            for block_bytes in [1, 64 * 16 * 4 + 1] {
                let blocks = convert(&Options { block_bytes, ..Options::new(fixture(name), weight_type) }).unwrap();
                assert!(whole.bytes[..] == blocks.bytes[..], "{name} {weight_type:?} block_bytes {block_bytes}");
            }
        }
    }
}

#[test]
fn a_non_finite_value_is_named_at_its_element() {
    // seqcls with a NaN at row 40, column 3 of the word embeddings (16 columns): the third block
    // of 16 rows, element 40·16 + 3 of the tensor.
    let src = fixture("seqcls");
    let dir = std::env::temp_dir().join(format!("electra-convert-blocks-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for entry in std::fs::read_dir(&src).unwrap() {
        let path = entry.unwrap().path();
        if path.file_name().unwrap() != "model.safetensors" && path.is_file() {
            std::fs::copy(&path, dir.join(path.file_name().unwrap())).unwrap();
        }
    }
    let bytes = std::fs::read(src.join("model.safetensors")).unwrap();
    let st = SafeTensors::deserialize(&bytes).unwrap();
    let key = "electra.embeddings.word_embeddings.weight";
    let word = st.tensor(key).unwrap();
    assert_eq!((word.dtype(), word.shape()), (Dtype::F32, &[96, 16][..]));
    let mut data = word.data().to_vec();
    let at = 40 * 16 + 3;
    data[4 * at..4 * at + 4].copy_from_slice(&f32::NAN.to_le_bytes());
    let mut tensors: Vec<(String, TensorView<'_>)> = st.tensors().into_iter().filter(|(name, _)| name != key).collect();
    tensors.push((key.to_string(), TensorView::new(Dtype::F32, vec![96, 16], &data).unwrap()));
    std::fs::write(dir.join("model.safetensors"), safetensors::serialize(tensors, &None).unwrap()).unwrap();

    for block_bytes in [1, electra_convert::BLOCK_BYTES] {
        let err = convert(&Options { block_bytes, ..Options::new(&dir, WeightType::Int8) }).err().expect("a NaN weight is refused");
        assert!(matches!(err, ConvertError::Checkpoint(_)), "{err}");
        assert!(err.to_string().contains(&format!("{key} holds a non-finite value at element {at}")), "{err}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
