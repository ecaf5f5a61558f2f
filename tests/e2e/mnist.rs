use mnist_data::{LoadOptions, Split};

#[test]
fn test_split_matches_the_published_statistics() {
    let Some(dir) = e2e::data_dir() else { return };
    let test = mnist_data::load_split(&dir, Split::Test).unwrap();
    assert_eq!(test.images.dim(), (10000, 784));
    let mut counts = [0usize; 10];
    for &l in &test.labels {
        counts[usize::from(l)] += 1;
    }
    assert_eq!(
        counts,
        [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    );
    let x = test.normalized_images();
    // Python: x_test.mean() with normalize=True -> 0.13251460584233699
    let mean = x.iter().map(|&v| f64::from(v)).sum::<f64>() / x.len() as f64;
    assert!((mean - 0.1325146).abs() < 1e-6, "mean pixel {mean}");
}

#[test]
fn load_mnist_gives_the_books_shapes() {
    let Some(dir) = e2e::data_dir() else { return };
    if !dir.join(Split::Train.images_file()).exists() {
        eprintln!("skipping: no training set in {}", dir.display());
        return;
    }
    let ((x_train, t_train), (x_test, t_test)) =
        mnist_data::load_mnist(&dir, LoadOptions::default()).unwrap();
    assert_eq!(x_train.shape(), &[60000, 784]);
    assert_eq!(t_train.len(), 60000);
    assert_eq!(x_test.shape(), &[10000, 784]);
    assert_eq!(t_test.len(), 10000);
}
