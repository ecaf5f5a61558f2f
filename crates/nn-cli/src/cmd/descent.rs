//! `nn descent`: gradient descent with numerical gradients (§4.4.1), printed
//! at full precision and optionally drawn on the function's contour lines
//! (the book's Figure 4-10).
//!
//! `nn descent` runs the book's example, 100 steps of lr 0.1 on `x0² + x1²`
//! from (-3, 4), and ends at `[-6.111107928998789e-10, 8.148143905314271e-10]`.

use std::ops::Range;
use std::path::PathBuf;

use ndarray::{Array1, ArrayView1, array};
use nn_grad::{CriticalKind, Descent, NamedFunction, gradient_descent, py_repr};
use plotters::coord::Shift;
use plotters::prelude::*;

use super::grad::{function_parser, py_list};
use crate::CliResult;
use crate::plotting::{self, Figure};

/// Run gradient descent from a point and print where it ends.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The function to minimise.
    #[arg(long, default_value = "sphere", value_parser = function_parser())]
    pub(crate) function: NamedFunction,
    /// The starting point, comma-separated (`--init=-3,4`).
    #[arg(
        long,
        value_delimiter = ',',
        allow_hyphen_values = true,
        default_value = "-3,4"
    )]
    pub(crate) init: Vec<f64>,
    /// The learning rate.
    #[arg(long, default_value_t = 0.1, allow_negative_numbers = true)]
    pub(crate) lr: f64,
    /// The number of steps.
    #[arg(long, default_value_t = 100)]
    pub(crate) steps: usize,
    /// Print one line of JSON instead: the arguments, `x`, `f(x)`,
    /// `diverged_at` and the `history` of points.
    #[arg(long)]
    pub(crate) json: bool,
    /// Also draw the path on the contour lines of the function (a function of
    /// two variables); PNG or SVG by the file's extension.
    #[arg(long, value_name = "FILE")]
    pub(crate) plot: Option<PathBuf>,
}

pub(crate) fn run(args: Args) -> CliResult {
    let run = descend(&args)?;
    print!("{}", render(&args, &run));
    if let Some(path) = &args.plot {
        let format = plotting::save(&DescentFigure::new(&args, &run), path, SIZE)?;
        eprintln!("wrote {} ({format}, {}×{})", path.display(), SIZE.0, SIZE.1);
    }
    match run.diverged_at() {
        Some(step) => Err(diverged(&args, step).into()),
        None => Ok(()),
    }
}

/// Checks the arguments and runs the descent.
fn descend(args: &Args) -> CliResult<Descent<f64>> {
    args.function.check_dim(args.init.len())?;
    if !args.init.iter().chain([&args.lr]).all(|v| v.is_finite()) {
        return Err(format!(
            "--init and --lr must be finite numbers, got {} and {}",
            py_list(args.init.iter().copied()),
            py_repr(args.lr)
        )
        .into());
    }
    if args.plot.is_some() && args.init.len() != 2 {
        return Err(format!(
            "--plot draws functions of two variables, the point has {} coordinates",
            args.init.len()
        )
        .into());
    }
    let f = args.function;
    Ok(gradient_descent(
        |x| f.eval(x),
        &Array1::from(args.init.clone()),
        args.lr,
        args.steps,
    ))
}

fn diverged(args: &Args, step: usize) -> String {
    format!(
        "descent diverged: the point became infinite or NaN after {step} steps; \
         lr {} is too large",
        py_repr(args.lr)
    )
}

/// The text or JSON printed on stdout.
fn render(args: &Args, run: &Descent<f64>) -> String {
    let f = args.function;
    if args.json {
        let value = serde_json::json!({
            "function": f.name(),
            "init": args.init,
            "lr": args.lr,
            "steps": args.steps,
            "x": run.x.to_vec(),
            "f": f.eval(&run.x),
            "diverged_at": run.diverged_at(),
            "history": run.history.rows().into_iter().map(|r| r.to_vec()).collect::<Vec<_>>(),
        });
        return format!("{value}\n");
    }
    let mut out = format!(
        "{f}: f = {}, from {}, lr {}, {} steps\n",
        f.formula(),
        py_list(args.init.iter().copied()),
        py_repr(args.lr),
        args.steps
    );
    if let Some(step) = run.diverged_at() {
        // The last finite point, not a row of NaN.
        if let Some(last) = step.checked_sub(1).map(|k| run.history.row(k)) {
            let steps = if step == 2 { "step" } else { "steps" };
            out += &format!(
                "last finite x, after {} {steps}: {}\n",
                step - 1,
                py_list(last.iter().copied())
            );
        }
        return out;
    }
    let start = f.eval(&Array1::from(args.init.clone()));
    let end = f.eval(&run.x);
    out += &format!("x    = {}\n", py_list(run.x.iter().copied()));
    out += &format!("f(x) = {}\n", py_repr(end));
    if let Some(note) = critical_note(f, &run.x.view()) {
        out += &note;
    } else if end > start {
        out += &format!(
            "f went up from {} to {}: the learning rate is too large\n",
            py_repr(start),
            py_repr(end)
        );
    }
    out
}

/// "reached the minimum ..." or the book's warning when the run ended next
/// to a saddle point.
fn critical_note(f: NamedFunction, x: &ArrayView1<'_, f64>) -> Option<String> {
    let p = f.critical_points().iter().find(|p| {
        p.at.len() == x.len()
            && p.at
                .iter()
                .zip(x)
                .map(|(a, b)| (a - b).powi(2))
                .sum::<f64>()
                .sqrt()
                < 1e-3
    })?;
    let at = py_list(p.at.iter().copied());
    Some(match p.kind {
        CriticalKind::Minimum => format!("reached the minimum {at}\n"),
        CriticalKind::Saddle => format!(
            "stopped at the saddle point {at}: the gradient is zero there, \
             but it is not a minimum\n"
        ),
    })
}

const SIZE: (u32, u32) = (800, 800);

/// The path of a descent on the contour lines of its function.
struct DescentFigure<'a> {
    function: NamedFunction,
    run: &'a Descent<f64>,
    lr: f64,
    steps: usize,
}

impl<'a> DescentFigure<'a> {
    fn new(args: &Args, run: &'a Descent<f64>) -> Self {
        Self {
            function: args.function,
            run,
            lr: args.lr,
            steps: args.steps,
        }
    }

    /// The finite points of the path: the history and the final point.
    fn path(&self) -> Vec<(f64, f64)> {
        self.run
            .history
            .rows()
            .into_iter()
            .chain(std::iter::once(self.run.x.view()))
            .map(|p| (p[0], p[1]))
            .take_while(|p| p.0.is_finite() && p.1.is_finite())
            .collect()
    }

    /// The book's view of the function, widened to the path unless the path
    /// runs off more than ten times as far; then `true` for "leaves the view".
    fn view(&self, path: &[(f64, f64)]) -> (Range<f64>, Range<f64>, bool) {
        let (x, y) = match self.function {
            NamedFunction::Rosenbrock => (-2.0..2.0, -1.0..3.0),
            _ => (-3.5..3.5, -4.5..4.5),
        };
        // The smallest range holding both the view and the path, padded if
        // the path sticks out; `None` if it sticks out more than tenfold.
        let grow = |r: Range<f64>, values: &mut dyn Iterator<Item = f64>| {
            let (lo, hi) = values.fold((r.start, r.end), |(lo, hi), v| (lo.min(v), hi.max(v)));
            if lo >= r.start && hi <= r.end {
                Some(r)
            } else if hi - lo <= 10.0 * (r.end - r.start) {
                let pad = 0.05 * (hi - lo);
                Some(lo - pad..hi + pad)
            } else {
                None
            }
        };
        match (
            grow(x.clone(), &mut path.iter().map(|p| p.0)),
            grow(y.clone(), &mut path.iter().map(|p| p.1)),
        ) {
            (Some(gx), Some(gy)) => (gx, gy, false),
            _ => (x, y, true),
        }
    }
}

impl Figure for DescentFigure<'_> {
    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        let f = self.function;
        let path = self.path();
        let (x, y, leaves) = self.view(&path);
        root.fill(&WHITE)?;
        let mut subtitle = format!(
            "{} steps of lr = {} from ({})",
            self.steps,
            py_repr(self.lr),
            path.first().map_or(String::new(), |p| format!(
                "{}, {}",
                py_repr(p.0),
                py_repr(p.1)
            ))
        );
        if leaves {
            subtitle += "; the path leaves the view";
        }
        let area = plotting::titled(
            root,
            &format!("Gradient descent on f(x0, x1) = {}", f.formula()),
            &subtitle,
        )?;
        let mut chart = plotting::chart(&area, x, y, ("x0", "x1"), true)?;
        let (x, y) = (chart.x_range(), chart.y_range());

        // Contour lines at quantiles of f over the view: evenly spread lines
        // whatever the function's range (Rosenbrock spans four decades).
        let n = 181;
        let (xs, ys) = (plotting::linspace(&x, n), plotting::linspace(&y, n));
        let z: Vec<Vec<f64>> = ys
            .iter()
            .map(|&b| xs.iter().map(|&a| f.eval(&array![a, b])).collect())
            .collect();
        let mut sorted: Vec<f64> = z
            .iter()
            .flatten()
            .copied()
            .filter(|v| v.is_finite())
            .collect();
        sorted.sort_by(f64::total_cmp);
        let count = 14;
        let mut levels: Vec<f64> = (0..count)
            .map(|k| sorted[((k as f64 + 0.5) / count as f64 * sorted.len() as f64) as usize])
            .collect();
        levels.dedup();
        for (k, &level) in levels.iter().enumerate() {
            let colour = plotting::viridis(0.85 * k as f64 / (levels.len() - 1).max(1) as f64);
            let lines = plotting::contour_lines(&xs, &ys, &z, level);
            let series = chart.draw_series(
                lines
                    .into_iter()
                    .map(|line| PathElement::new(line, colour.stroke_width(1))),
            )?;
            if k == levels.len() / 2 {
                series
                    .label("contours of f (dark: low)")
                    .legend(move |(a, b)| {
                        PathElement::new([(a, b), (a + 20, b)], colour.stroke_width(2))
                    });
            }
        }

        // The book's dashed axes.
        let axis = BLACK.mix(0.5).stroke_width(1);
        chart.draw_series(DashedLineSeries::new(
            [(x.start, 0.0), (x.end, 0.0)],
            6,
            4,
            axis,
        ))?;
        chart.draw_series(DashedLineSeries::new(
            [(0.0, y.start), (0.0, y.end)],
            6,
            4,
            axis,
        ))?;

        // The path, clipped to the view.
        let blue = RGBColor(31, 119, 180);
        let inside = |p: &&(f64, f64)| x.contains(&p.0) && y.contains(&p.1);
        chart.draw_series(
            path.windows(2)
                .filter_map(|w| plotting::clip_segment(w[0], w[1], &x, &y))
                .map(|(a, b)| PathElement::new([a, b], blue.stroke_width(1))),
        )?;
        // A dot per step, or per few steps when there are hundreds.
        let stride = path.len().div_ceil(150).max(1);
        chart
            .draw_series(
                path.iter()
                    .step_by(stride)
                    .filter(inside)
                    .map(|&p| Circle::new(p, 4, blue.filled())),
            )?
            .label(match stride {
                1 => "x after each step".to_owned(),
                k => format!("x every {k} steps"),
            })
            .legend(move |(a, b)| Circle::new((a + 10, b), 4, blue.filled()));
        // Start and end markers, in the legend only when they are in view.
        let green = RGBColor(44, 160, 44);
        if let Some(&p) = path.first().filter(inside) {
            chart
                .draw_series(std::iter::once(Circle::new(p, 8, green.filled())))?
                .label("start")
                .legend(move |(a, b)| Circle::new((a + 10, b), 7, green.filled()));
        }
        let red = RGBColor(214, 39, 40);
        let finished = path.len() == self.steps + 1;
        if let Some(&p) = path.last().filter(|p| finished && inside(p)) {
            chart
                .draw_series(std::iter::once(Cross::new(p, 8, red.stroke_width(3))))?
                .label("end")
                .legend(move |(a, b)| Cross::new((a + 10, b), 6, red.stroke_width(3)));
        }
        plotting::legend(&mut chart, SeriesLabelPosition::UpperRight)
    }
}

#[cfg(test)]
mod tests {

    use super::*;

    fn parse(args: &[&str]) -> Args {
        crate::cmd::testing::parse(args).unwrap()
    }

    /// Output and error line of `nn descent <args>`, without plotting.
    fn nn_descent(args: &[&str]) -> String {
        let args = parse(args);
        match descend(&args) {
            Ok(run) => {
                let mut out = render(&args, &run);
                if let Some(step) = run.diverged_at() {
                    out += &format!("error: {}\n", diverged(&args, step));
                }
                out
            }
            Err(e) => format!("error: {e}\n"),
        }
    }

    // init_x = np.array([-3.0, 4.0])
    // gradient_descent(function_2, init_x=init_x, lr=0.1, step_num=100)
    //   -> [-6.111107928998789e-10, 8.148143905314271e-10]
    // gradient_descent(function_2, init_x=init_x, lr=10.0, step_num=100)
    //   -> [-25898374737328.363, -1295248616896.5398]
    // gradient_descent(function_2, init_x=init_x, lr=1e-10, step_num=100)
    //   -> [-2.999999939999995, 3.9999999199999934]
    #[test]
    fn book_runs() {
        #[track_caller]
        fn check(args: &[&str], expect: &str) {
            let out = nn_descent(args);
            assert_eq!(
                out.lines().nth(1),
                Some(expect),
                "nn descent {}",
                args.join(" ")
            );
        }
        check(
            &[],
            "x    = [-6.111107928998789e-10, 8.148143905314271e-10]",
        );
        check(
            &["--lr", "10"],
            "x    = [-25898374737328.363, -1295248616896.5398]",
        );
        check(
            &["--init=-3,4", "--lr=1e-10", "--steps", "100"],
            "x    = [-2.999999939999995, 3.9999999199999934]",
        );
    }

    #[test]
    fn snapshot() {
        let out: String = [
            &[][..],
            &["--lr", "10"],
            &["--lr", "1e-10"],
            &["--function", "saddle", "--init=-3,0"],
            &["--function", "saddle", "--init=-3,0.001"],
            &[
                "--function",
                "rosenbrock",
                "--init=-1.5,2",
                "--lr",
                "0.001",
                "--steps",
                "5000",
            ],
            &["--lr", "1e200"],
            &["--init", "0,0,0", "--steps", "3"],
            &[
                "--function",
                "quadratic",
                "--init=3",
                "--lr",
                "10",
                "--steps",
                "50",
            ],
            &["--function", "saddle", "--init=1"],
            &["--init=nan,1"],
            &["--lr=inf"],
        ]
        .iter()
        .map(|args| format!("$ nn descent {}\n{}", args.join(" "), nn_descent(args)))
        .collect();
        insta::assert_snapshot!(out);
    }

    #[test]
    fn json_output() {
        let args = parse(&["--json", "--steps", "2"]);
        let out = render(&args, &descend(&args).unwrap());
        insta::assert_snapshot!(out);
        let value: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(value["history"].as_array().unwrap().len(), 2);
        assert_eq!(value["diverged_at"], serde_json::Value::Null);

        let args = parse(&["--json", "--lr", "1e200", "--steps", "3"]);
        let value: serde_json::Value =
            serde_json::from_str(&render(&args, &descend(&args).unwrap())).unwrap();
        assert_eq!(value["diverged_at"], 2);
        assert_eq!(value["x"], serde_json::json!([null, null]));
    }

    #[test]
    fn plots_need_two_variables() {
        let args = parse(&["--init=1,2,3", "--plot", "x.png"]);
        let err = descend(&args).unwrap_err().to_string();
        assert_eq!(
            err,
            "--plot draws functions of two variables, the point has 3 coordinates"
        );
    }
}
