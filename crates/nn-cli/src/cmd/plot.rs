//! `nn plot`: the pictures of chapter 4, part one, as PNG or SVG.
//!
//! - `nn plot gradient-field --out FILE`: the arrows `-∇f` of `x0² + x1²` on a
//!   0.25 grid over [-2, 2]², drawn to scale (the book's Figure 4-9).
//! - `nn plot tangent --x 5 --out FILE`: `0.01x² + 0.1x` and its tangent at
//!   x = 5 from the numerical derivative (Figure 4-7).

use std::path::PathBuf;

use ndarray::{Array2, array};
use nn_grad::{
    CriticalKind, NamedFunction, TangentLine, numerical_gradient_rows, py_repr, tangent_line,
};
use plotters::coord::Shift;
use plotters::prelude::*;

use super::grad::function_parser;
use crate::CliResult;
use crate::plotting::{self, Figure};

/// Draw one of chapter 4's figures to a PNG or SVG file.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(subcommand)]
    pub(crate) figure: Plot,
}

/// The figures `nn plot` can draw.
#[derive(Debug, clap::Subcommand)]
pub(crate) enum Plot {
    /// The negative gradient of a function of two variables as arrows on a
    /// grid, drawn to scale (Figure 4-9).
    GradientField(GradientFieldArgs),
    /// A function of one variable and its tangent at a point (Figure 4-7).
    Tangent(TangentArgs),
}

/// Arguments of `nn plot gradient-field`.
#[derive(Debug, clap::Args)]
pub(crate) struct GradientFieldArgs {
    /// The function (of two variables).
    #[arg(long, default_value = "sphere", value_parser = function_parser())]
    pub(crate) function: NamedFunction,
    /// The image to write: `.png` or `.svg`.
    #[arg(long, value_name = "FILE")]
    pub(crate) out: PathBuf,
}

/// Arguments of `nn plot tangent`.
#[derive(Debug, clap::Args)]
pub(crate) struct TangentArgs {
    /// The function (of one variable).
    #[arg(long, default_value = "quadratic", value_parser = function_parser())]
    pub(crate) function: NamedFunction,
    /// Where the tangent touches the curve.
    #[arg(long, default_value_t = 5.0, allow_negative_numbers = true)]
    pub(crate) x: f64,
    /// The image to write: `.png` or `.svg`.
    #[arg(long, value_name = "FILE")]
    pub(crate) out: PathBuf,
}

pub(crate) fn run(args: Args) -> CliResult {
    let (path, format, size) = match args.figure {
        Plot::GradientField(a) => {
            let figure = GradientField::new(a.function)?;
            let format = plotting::save(&figure, &a.out, GradientField::SIZE)?;
            (a.out, format, GradientField::SIZE)
        }
        Plot::Tangent(a) => {
            let figure = Tangent::new(a.function, a.x)?;
            let format = plotting::save(&figure, &a.out, Tangent::SIZE)?;
            (a.out, format, Tangent::SIZE)
        }
    };
    println!("wrote {} ({format}, {}×{})", path.display(), size.0, size.1);
    Ok(())
}

/// Arrows `-∇f` on the book's grid, `np.arange(-2, 2.5, 0.25)` cut to the
/// axes' [-2, 2]: 17 × 17 points.
pub(crate) struct GradientField {
    function: NamedFunction,
    /// The grid points, shape `(N, 2)`.
    points: Array2<f64>,
    /// `numerical_gradient_rows(f, points)`, shape `(N, 2)`.
    grad: Array2<f64>,
}

impl GradientField {
    const SIZE: (u32, u32) = (800, 800);
    const STEP: f64 = 0.25;

    fn new(function: NamedFunction) -> CliResult<Self> {
        if function.dim() != 2 {
            return Err(format!(
                "a gradient field needs a function of two variables, not {function}"
            )
            .into());
        }
        let ticks: Vec<f64> = (0..17).map(|k| -2.0 + Self::STEP * f64::from(k)).collect();
        let points = Array2::from_shape_fn((ticks.len() * ticks.len(), 2), |(n, c)| {
            let (row, col) = (n / ticks.len(), n % ticks.len());
            if c == 0 { ticks[col] } else { ticks[row] }
        });
        let grad = numerical_gradient_rows(|p| function.eval(p), &points);
        Ok(Self {
            function,
            points,
            grad,
        })
    }

    /// Data units of arrow per unit of gradient: the longest arrow is 0.9 of
    /// a grid step, every other one in proportion.
    fn scale(&self) -> f64 {
        let longest = self
            .grad
            .rows()
            .into_iter()
            .map(|g| g[0].hypot(g[1]))
            .fold(0.0, f64::max);
        if longest > 0.0 {
            0.9 * Self::STEP / longest
        } else {
            0.0
        }
    }
}

impl Figure for GradientField {
    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        root.fill(&WHITE)?;
        let scale = self.scale();
        let area = plotting::titled(
            root,
            &format!("−∇f for f(x0, x1) = {}", self.function.formula()),
            &format!(
                "arrows to scale: length = {:.4} × |∇f|, grid step {}",
                scale,
                Self::STEP
            ),
        )?;
        let mut chart = plotting::chart(&area, -2.25..2.25, -2.25..2.25, ("x0", "x1"), true)?;
        let grey = RGBColor(80, 80, 80);
        let arrows: Vec<plotting::Arrow> = self
            .points
            .rows()
            .into_iter()
            .zip(self.grad.rows())
            .map(|(p, g)| {
                let from = (p[0], p[1]);
                let to = (p[0] - scale * g[0], p[1] - scale * g[1]);
                let len = (scale * g[0]).hypot(scale * g[1]);
                plotting::arrow(from, to, (0.35 * len).min(0.07))
            })
            .collect();
        chart
            .draw_series(
                arrows
                    .iter()
                    .map(|a| PathElement::new(a.shaft, grey.stroke_width(2))),
            )?
            .label("−∇f(x0, x1)")
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], grey.stroke_width(2)));
        chart.draw_series(arrows.iter().map(|a| Polygon::new(a.head, grey.filled())))?;

        let red = RGBColor(214, 39, 40);
        for p in self.function.critical_points() {
            let name = match p.kind {
                CriticalKind::Minimum => "minimum",
                CriticalKind::Saddle => "saddle point",
            };
            chart
                .draw_series(std::iter::once(Circle::new(
                    (p.at[0], p.at[1]),
                    5,
                    red.filled(),
                )))?
                .label(format!(
                    "{name} ({}, {})",
                    py_repr(p.at[0]),
                    py_repr(p.at[1])
                ))
                .legend(move |(x, y)| Circle::new((x + 10, y), 5, red.filled()));
        }
        plotting::legend(&mut chart, SeriesLabelPosition::UpperRight)
    }
}

/// A function of one variable and its tangent at `x` (the book's
/// `gradient_1d.py`).
pub(crate) struct Tangent {
    function: NamedFunction,
    x: f64,
    line: TangentLine<f64>,
    /// The plotted interval of x and the samples of the curve and the line.
    range: (f64, f64),
    curve: Vec<(f64, f64)>,
    tangent: Vec<(f64, f64)>,
}

impl Tangent {
    const SIZE: (u32, u32) = (900, 650);

    fn new(function: NamedFunction, x: f64) -> CliResult<Self> {
        if function.dim() != 1 {
            return Err(
                format!("a tangent needs a function of one variable, not {function}").into(),
            );
        }
        if !x.is_finite() {
            return Err(format!("--x must be a finite number, not {}", py_repr(x)).into());
        }
        let f = |t: f64| function.eval(&array![t]);
        let line = tangent_line(f, x);
        // The book draws x in [0, 20); keep the point well inside.
        let range = ((x - 5.0).min(0.0), (x + 5.0).max(20.0));
        // Few points: plotters' wide lines show a kink at every joint.
        let xs = plotting::linspace(&(range.0..range.1), 41);
        let curve: Vec<(f64, f64)> = xs.iter().map(|&t| (t, f(t))).collect();
        let tangent: Vec<(f64, f64)> = [range.0, range.1]
            .iter()
            .map(|&t| (t, line.at(t)))
            .collect();
        if curve.iter().chain(&tangent).any(|p| !p.1.is_finite()) {
            return Err(format!(
                "f or its tangent overflows between x = {} and {}: pick a smaller --x",
                py_repr(range.0),
                py_repr(range.1)
            )
            .into());
        }
        Ok(Self {
            function,
            x,
            line,
            range,
            curve,
            tangent,
        })
    }
}

impl Figure for Tangent {
    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        let f = |t: f64| self.function.eval(&array![t]);
        let (lo, hi) = self.range;
        let (curve, line) = (self.curve.clone(), self.tangent.clone());
        let (ymin, ymax) = curve
            .iter()
            .chain(&line)
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| {
                (a.min(p.1), b.max(p.1))
            });
        let pad = 0.05 * (ymax - ymin).max(1e-9);

        root.fill(&WHITE)?;
        let area = plotting::titled(
            root,
            &format!(
                "f(x) = {} and its tangent at x = {}",
                self.function.formula(),
                py_repr(self.x)
            ),
            &format!("slope from numerical_diff: {}", py_repr(self.line.slope)),
        )?;
        let mut chart =
            plotting::chart(&area, lo..hi, ymin - pad..ymax + pad, ("x", "f(x)"), false)?;
        let blue = RGBColor(31, 119, 180);
        let orange = RGBColor(255, 127, 14);
        chart
            .draw_series(LineSeries::new(curve, blue.stroke_width(2)))?
            .label(format!("f(x) = {}", self.function.formula()))
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 24, y)], blue.stroke_width(3)));
        chart
            .draw_series(LineSeries::new(line, orange.stroke_width(2)))?
            .label(format!(
                "tangent: y = {:.4}x {} {:.4}",
                self.line.slope,
                if self.line.intercept < 0.0 {
                    '−'
                } else {
                    '+'
                },
                self.line.intercept.abs()
            ))
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 24, y)], orange.stroke_width(3)));
        let touch = (self.x, f(self.x));
        chart
            .draw_series(std::iter::once(Circle::new(touch, 6, BLACK.filled())))?
            .label(format!("({}, {})", rounded(touch.0), rounded(touch.1)))
            .legend(move |(x, y)| Circle::new((x + 12, y), 5, BLACK.filled()));
        plotting::legend(&mut chart, SeriesLabelPosition::UpperLeft)
    }
}

/// `v` rounded to six decimals for a label, printed as Python would.
fn rounded(v: f64) -> String {
    let r = (v * 1e6).round() / 1e6;
    py_repr(if r.is_finite() { r } else { v })
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    /// Width and height from a PNG's IHDR chunk, after checking the file
    /// decodes completely.
    fn png_size(path: &Path) -> (u32, u32) {
        let decoder = png::Decoder::new(std::fs::File::open(path).unwrap());
        let mut reader = decoder.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut buf).unwrap();
        // Not a blank page: the figure drew something dark.
        assert!(buf.iter().any(|&b| b < 100), "{} is blank", path.display());
        (info.width, info.height)
    }

    fn svg_size(path: &Path) -> (u32, u32) {
        let svg = std::fs::read_to_string(path).unwrap();
        assert!(
            svg.trim_end().ends_with("</svg>"),
            "{} is cut short",
            path.display()
        );
        assert!(svg.contains("<text"), "{} has no text", path.display());
        let attr = |name: &str| -> u32 {
            let start = svg.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
            svg[start..].split('"').next().unwrap().parse().unwrap()
        };
        (attr("width"), attr("height"))
    }

    #[test]
    fn gradient_field_images_have_the_right_size() {
        let dir = tempfile::tempdir().unwrap();
        for function in [NamedFunction::Sphere, NamedFunction::Saddle] {
            let figure = GradientField::new(function).unwrap();
            let png = dir.path().join(format!("{function}.png"));
            let svg = dir.path().join(format!("{function}.svg"));
            assert_eq!(
                plotting::save(&figure, &png, GradientField::SIZE).unwrap(),
                plotting::Format::Png
            );
            assert_eq!(
                plotting::save(&figure, &svg, GradientField::SIZE).unwrap(),
                plotting::Format::Svg
            );
            assert_eq!(png_size(&png), (800, 800));
            assert_eq!(svg_size(&svg), (800, 800));
        }
        // Only the two images per function: no temporary files left behind.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 4);
    }

    #[test]
    fn gradient_field_matches_the_book() {
        // grad = numerical_gradient(function_2, np.array([X, Y]).T).T
        let field = GradientField::new(NamedFunction::Sphere).unwrap();
        assert_eq!(field.points.nrows(), 17 * 17);
        // The corner (-2, -2) and (2, 1.75).
        assert_eq!(field.points.row(0).to_vec(), [-2.0, -2.0]);
        let k = 16 * 17 + 15;
        assert_eq!(field.points.row(k).to_vec(), [1.75, 2.0]);
        for (p, g) in field.points.rows().into_iter().zip(field.grad.rows()) {
            assert!((g[0] - 2.0 * p[0]).abs() < 1e-9 && (g[1] - 2.0 * p[1]).abs() < 1e-9);
        }
        // The longest arrow, at a corner, is 0.9 of a grid step.
        let corner = 2.0 * 2.0_f64.hypot(2.0);
        assert!((field.scale() * corner - 0.225).abs() < 1e-9);
    }

    #[test]
    fn tangent_images_have_the_right_size() {
        let dir = tempfile::tempdir().unwrap();
        let figure = Tangent::new(NamedFunction::Quadratic, 5.0).unwrap();
        assert_eq!(figure.line.slope, 0.1999999999990898);
        let png = dir.path().join("tangent.PNG");
        let svg = dir.path().join("tangent.svg");
        plotting::save(&figure, &png, Tangent::SIZE).unwrap();
        plotting::save(&figure, &svg, Tangent::SIZE).unwrap();
        assert_eq!(png_size(&png), (900, 650));
        assert_eq!(svg_size(&svg), (900, 650));
    }

    #[test]
    fn bad_requests_are_errors() {
        #[track_caller]
        fn check(result: CliResult, expect: &str) {
            assert_eq!(result.unwrap_err().to_string(), expect);
        }
        let dir = tempfile::tempdir().unwrap();
        let figure = Tangent::new(NamedFunction::Quadratic, 5.0).unwrap();
        check(
            plotting::save(&figure, &dir.path().join("t.jpg"), Tangent::SIZE).map(drop),
            &format!(
                "cannot tell the image format of {}: use a .png or .svg file name",
                dir.path().join("t.jpg").display()
            ),
        );
        check(
            Tangent::new(NamedFunction::Sphere, 1.0).map(drop),
            "a tangent needs a function of one variable, not sphere",
        );
        check(
            GradientField::new(NamedFunction::Quadratic).map(drop),
            "a gradient field needs a function of two variables, not quadratic",
        );
        check(
            Tangent::new(NamedFunction::Quadratic, f64::NAN).map(drop),
            "--x must be a finite number, not nan",
        );
        check(
            Tangent::new(NamedFunction::Quadratic, 1e300).map(drop),
            "f or its tangent overflows between x = 0.0 and 1e+300: pick a smaller --x",
        );
        let missing = dir.path().join("no/such/dir/t.png");
        assert!(plotting::save(&figure, &missing, Tangent::SIZE).is_err());
    }
}
