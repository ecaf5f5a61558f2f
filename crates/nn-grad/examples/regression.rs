//! Regression with the same training loop as classification (the book's
//! §3.5 lesson on output layers): an identity output with the sum of
//! squared errors instead of softmax with cross-entropy, fitted to a noisy
//! sine. Prints the loss as it falls and draws the fit.
//!
//! ```text
//! cargo run --release -p nn-grad --example regression -- [FILE.png|FILE.svg]
//! ```

use std::error::Error;
use std::f64::consts::PI;

use ndarray::Array2;
use nn_core::{Activation, Output};
use nn_grad::{
    Dataset, Init, Inputs, Mlp, Optimizer, Progress, Targets, TrainConfig, TrainSets, train,
};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::{FontStyle, register_font};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::StandardNormal;

/// The font `nn` plots with, so the figure looks the same without system fonts.
static FONT: &[u8] = include_bytes!("../../nn-cli/assets/DejaVuSans.ttf");

fn main() -> Result<(), Box<dyn Error>> {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "regression.png".into());

    // 200 noisy samples of sin(x) on [-π, π].
    let mut rng = StdRng::seed_from_u64(0);
    let x = Array2::from_shape_fn((200, 1), |_| rng.random_range(-PI..PI));
    let t = x.mapv(|v| v.sin() + 0.15 * rng.sample::<f64, _>(StandardNormal));
    let sets = TrainSets {
        train: Dataset::new(Inputs::float(x.view()), Targets::from(&t))?,
        validation: None,
        test: None,
    };

    // 1 → 20 (sigmoid) → 1 (identity): loss = mean over the batch of ½(y − t)².
    let mut net = Mlp::new(
        &[1, 20, 1],
        Activation::Sigmoid,
        Output::Identity,
        Init::Xavier,
        &mut rng,
    )?;
    let config = TrainConfig {
        iters: 4000,
        batch_size: 20,
        optimizer: Optimizer::adam(0.01),
        ..TrainConfig::default()
    };
    let history = train(&mut net, &sets, &config, &mut rng, |p| {
        if let Progress::Epoch(r) = p
            && r.epoch % 50 == 0
        {
            println!("iteration {:>4}: loss {:.4}", r.iteration, r.train.loss);
        }
    })?;
    let first = history.epochs[0].train.loss;
    let last = history.last.train.loss;
    println!("loss {first:.4} -> {last:.4} (noise alone gives ½·0.15² ≈ 0.011)");

    // The fit on a fine grid.
    let grid = Array2::from_shape_fn((300, 1), |(i, _)| -PI + 2.0 * PI * i as f64 / 299.0);
    let fit = net.predict(&grid)?;

    register_font("sans-serif", FontStyle::Normal, FONT).map_err(|_| "cannot load the font")?;
    let curves = Curves {
        samples: x.iter().copied().zip(t.iter().copied()).collect(),
        fit: grid.iter().copied().zip(fit.iter().copied()).collect(),
        loss: &history.loss,
    };
    // Drawn next to the destination, then renamed over it.
    let svg = path.ends_with(".svg");
    let tmp = format!("{path}.partial.{}", if svg { "svg" } else { "png" });
    if svg {
        curves.draw(SVGBackend::new(&tmp, (1100, 420)).into_drawing_area())?;
    } else {
        curves.draw(BitMapBackend::new(&tmp, (1100, 420)).into_drawing_area())?;
    }
    std::fs::rename(&tmp, &path)?;
    println!("fit drawn to {path}");
    Ok(())
}

/// What the figure shows.
struct Curves<'a> {
    samples: Vec<(f64, f64)>,
    fit: Vec<(f64, f64)>,
    loss: &'a [f64],
}

impl Curves<'_> {
    fn draw<DB: DrawingBackend>(&self, root: DrawingArea<DB, Shift>) -> Result<(), Box<dyn Error>>
    where
        DB::ErrorType: 'static,
    {
        let blue = RGBColor(31, 119, 180);
        let red = RGBColor(214, 39, 40);
        root.fill(&WHITE)?;
        let (left, right) = root.split_horizontally(560);
        let mut c = ChartBuilder::on(&left)
            .caption("a 1-20-1 network fits sin(x) + noise", ("sans-serif", 22))
            .margin(15)
            .x_label_area_size(40)
            .y_label_area_size(50)
            .build_cartesian_2d(-PI..PI, -1.8..1.8)?;
        c.configure_mesh()
            .x_desc("x")
            .y_desc("y")
            .light_line_style(BLACK.mix(0.04))
            .draw()?;
        c.draw_series(
            self.samples
                .iter()
                .map(|&p| Circle::new(p, 3, blue.mix(0.5).filled())),
        )?
        .label("training samples")
        .legend(move |(a, b)| Circle::new((a + 10, b), 4, blue.filled()));
        c.draw_series(DashedLineSeries::new(
            self.fit.iter().map(|&(g, _)| (g, g.sin())),
            8,
            5,
            BLACK.mix(0.6).stroke_width(2),
        ))?
        .label("sin(x)")
        .legend(|(a, b)| PathElement::new([(a, b), (a + 20, b)], BLACK.mix(0.6).stroke_width(2)));
        c.draw_series(LineSeries::new(
            self.fit.iter().copied(),
            red.stroke_width(3),
        ))?
        .label("network")
        .legend(move |(a, b)| PathElement::new([(a, b), (a + 20, b)], red.stroke_width(3)));
        c.configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK.mix(0.4))
            .draw()?;

        let top = self.loss.iter().copied().fold(0.0, f64::max) * 1.05;
        let mut l = ChartBuilder::on(&right)
            .caption("mini-batch loss", ("sans-serif", 22))
            .margin(15)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d(0.0..self.loss.len() as f64, 0.0..top)?;
        l.configure_mesh()
            .x_desc("iteration")
            .y_desc("mean of ½(y − t)² over the batch")
            .x_label_formatter(&|v| format!("{v:.0}"))
            .light_line_style(BLACK.mix(0.04))
            .draw()?;
        l.draw_series(LineSeries::new(
            self.loss.iter().enumerate().map(|(i, &v)| (i as f64, v)),
            blue.stroke_width(1),
        ))?;
        root.present()?;
        Ok(())
    }
}
