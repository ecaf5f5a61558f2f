use std::path::Path;

use mnist_data::Split;
use nn_core::{Activation, Float, Network, Output};

fn network<T: Float>(dir: &Path) -> Network<T> {
    let tensors = nn_core::io::read_tensors(dir.join("sample_weight.pkl")).unwrap();
    Network::from_tensors(&tensors, Activation::Sigmoid, Output::Softmax).unwrap()
}

#[test]
fn sample_weight_scores_0_9352_for_every_batch_size_in_f32_and_f64() {
    let Some(dir) = e2e::data_dir() else { return };
    let test = mnist_data::load_split(&dir, Split::Test).unwrap();
    let x = test.normalized_images();
    let labels = test.labels.as_slice().unwrap();
    let net32 = network::<f32>(&dir);
    assert_eq!(net32.sizes(), vec![784, 50, 100, 10]);
    for batch in [1, 7, 100, 1000, 10000] {
        let acc = net32.accuracy(&x, labels, batch).unwrap();
        assert_eq!(
            (acc.correct, acc.total),
            (9352, 10000),
            "f32, batch size {batch}"
        );
        assert_eq!(acc.to_string(), "0.9352");
    }
    let net64 = network::<f64>(&dir);
    let acc = net64.accuracy(&x.mapv(f64::from), labels, 100).unwrap();
    assert_eq!(acc.correct, 9352, "f64");
}

#[test]
fn first_test_image_probabilities_match_numpy() {
    let Some(dir) = e2e::data_dir() else { return };
    let test = mnist_data::load_split(&dir, Split::Test).unwrap();
    let x0 = test.normalized_images().row(0).to_owned();
    let y = network::<f32>(&dir).predict(&x0).unwrap();
    // Python (the book's neuralnet_mnist.py, float32):
    //   network = init_network(); y = predict(network, x_test[0]); print(list(y))
    let numpy = [
        8.441264799330384e-05,
        2.6350653570261784e-06,
        0.0007154945633374155,
        0.001258627395145595,
        1.1727966011676472e-06,
        4.4990894821239635e-05,
        1.6269318336981087e-08,
        0.997065007686615,
        9.374488399771508e-06,
        0.0008183119352906942,
    ];
    for (k, (&ours, &theirs)) in y.iter().zip(&numpy).enumerate() {
        assert!(
            (f64::from(ours) - theirs).abs() < 1e-6,
            "class {k}: {ours} vs {theirs}"
        );
    }
    assert_eq!(nn_core::argmax(y.iter().copied()), 7);
    assert_eq!(test.labels[0], 7);
    let lines: Vec<String> = y
        .iter()
        .enumerate()
        .map(|(k, p)| format!("{k}: {p:.2e}"))
        .collect();
    insta::assert_snapshot!("first_test_image_probabilities", lines.join("\n"));
}

#[test]
fn the_same_648_images_are_misclassified() {
    let Some(dir) = e2e::data_dir() else { return };
    let test = mnist_data::load_split(&dir, Split::Test).unwrap();
    let classes = network::<f32>(&dir)
        .predict_classes(&test.normalized_images(), 100)
        .unwrap();
    let wrong: Vec<usize> = classes
        .iter()
        .zip(&test.labels)
        .enumerate()
        .filter(|(_, (c, l))| **c != usize::from(**l))
        .map(|(i, _)| i)
        .collect();
    // Python: np.where(np.argmax(predict(network, x_test), axis=1) != t_test)[0]
    assert_eq!(wrong.len(), 648);
    assert_eq!(&wrong[..5], &[8, 33, 66, 92, 124]);
}
