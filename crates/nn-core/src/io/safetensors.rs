//! Reading and writing `.safetensors` files with the `safetensors` crate.

use std::path::Path;

use ndarray::{ArrayD, IxDyn};
use safetensors::{Dtype, SafeTensors, tensor::TensorView};

use super::{TensorData, Tensors};
use crate::{Error, Result};

/// Decode a safetensors file of `F32`/`F64` tensors; errors name `path`.
pub(crate) fn read(bytes: &[u8], path: &Path) -> Result<Tensors> {
    let fail = |detail: String| Error::SafeTensors {
        path: path.to_path_buf(),
        detail,
    };
    check_offsets(bytes).map_err(fail)?;
    let file = SafeTensors::deserialize(bytes).map_err(|e| fail(e.to_string()))?;
    let mut tensors = Tensors::new();
    for (name, view) in file.iter() {
        let dim = IxDyn(view.shape());
        let data = view.data();
        let tensor =
            match view.dtype() {
                Dtype::F32 => ArrayD::from_shape_vec(dim, elements(data, f32::from_le_bytes))
                    .map(TensorData::F32),
                Dtype::F64 => ArrayD::from_shape_vec(dim, elements(data, f64::from_le_bytes))
                    .map(TensorData::F64),
                other => {
                    return Err(Error::UnsupportedDtype {
                        path: path.to_path_buf(),
                        key: name.to_owned(),
                        dtype: other.to_string(),
                    });
                }
            };
        // The crate has checked that the data length matches the shape.
        let tensor = tensor.map_err(|e| Error::BadArray {
            path: path.to_path_buf(),
            key: name.to_owned(),
            detail: e.to_string(),
        })?;
        tensors.insert(name.to_owned(), tensor);
    }
    Ok(tensors)
}

fn elements<const N: usize, T>(data: &[u8], from_bytes: fn([u8; N]) -> T) -> Vec<T> {
    data.chunks_exact(N)
        .map(|c| {
            let mut b = [0; N];
            b.copy_from_slice(c);
            from_bytes(b)
        })
        .collect()
}

/// The `safetensors` crate adds a tensor's end offset to the header length
/// unchecked, which overflows (a panic in debug builds) for offsets near
/// `usize::MAX`. No offset can lie beyond the end of the file, so such
/// headers are refused here first. Other header errors are left to the crate.
fn check_offsets(bytes: &[u8]) -> std::result::Result<(), String> {
    let Some(len) = bytes.get(..8) else {
        return Ok(());
    };
    let mut n = [0; 8];
    n.copy_from_slice(len);
    let Some(header) = usize::try_from(u64::from_le_bytes(n))
        .ok()
        .and_then(|n| bytes.get(8..8usize.checked_add(n)?))
    else {
        return Ok(());
    };
    let Ok(serde_json::Value::Object(entries)) = serde_json::from_slice(header) else {
        return Ok(());
    };
    for (name, info) in &entries {
        let offsets = info.get("data_offsets").and_then(|o| o.as_array());
        for offset in offsets.into_iter().flatten() {
            if offset.as_u64().is_some_and(|o| o > bytes.len() as u64) {
                return Err(format!(
                    "tensor '{name}' has a data offset beyond the end of the file"
                ));
            }
        }
    }
    Ok(())
}

/// Serialize `tensors` as a safetensors file (`F32`/`F64`, little-endian).
pub(crate) fn to_bytes(tensors: &Tensors) -> Result<Vec<u8>> {
    if tensors.contains_key("__metadata__") {
        return Err(Error::InvalidArgument(
            "'__metadata__' is reserved in safetensors and cannot name an array".into(),
        ));
    }
    let buffers: Vec<(&str, Dtype, &[usize], Vec<u8>)> = tensors
        .iter()
        .map(|(name, t)| {
            let dtype = match t {
                TensorData::F32(_) => Dtype::F32,
                TensorData::F64(_) => Dtype::F64,
            };
            (name.as_str(), dtype, t.shape(), t.to_le_bytes())
        })
        .collect();
    let views = buffers
        .iter()
        .map(|(name, dtype, shape, data)| {
            TensorView::new(*dtype, shape.to_vec(), data).map(|view| (*name, view))
        })
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| Error::InvalidArgument(format!("cannot encode safetensors: {e}")))?;
    safetensors::serialize(views, None)
        .map_err(|e| Error::InvalidArgument(format!("cannot encode safetensors: {e}")))
}
