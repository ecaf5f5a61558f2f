//! `nn grad`: the numerical gradient of a named function at a point (§4.4).
//!
//! `nn grad --function sphere --at=3,4` prints
//! `[6.00000000000378, 7.999999999999119]`, the book's NumPy numbers.

use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use ndarray::Array1;
use nn_grad::{NamedFunction, numerical_gradient, py_repr};

use crate::CliResult;

/// Print the gradient of a function at a point, at full precision.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The function.
    #[arg(long, default_value = "sphere", value_parser = function_parser())]
    pub(crate) function: NamedFunction,
    /// The point, comma-separated (`--at=3,4`; `--at=-3,4` for a negative first
    /// coordinate).
    #[arg(
        long,
        value_delimiter = ',',
        allow_hyphen_values = true,
        required = true
    )]
    pub(crate) at: Vec<f64>,
}

pub(crate) fn run(args: Args) -> CliResult {
    print!("{}", render(&args)?);
    Ok(())
}

fn render(args: &Args) -> CliResult<String> {
    args.function.check_dim(args.at.len())?;
    let x = Array1::from(args.at.clone());
    let f = args.function;
    let grad = numerical_gradient(|x| f.eval(x), &x);
    Ok(format!("{}\n", py_list(grad.iter().copied())))
}

/// Parses `--function`: the names of [`NamedFunction`], listed with their
/// formulas in `--help`.
pub(crate) fn function_parser() -> impl TypedValueParser<Value = NamedFunction> {
    PossibleValuesParser::new(
        NamedFunction::ALL.map(|f| PossibleValue::new(f.name()).help(f.formula())),
    )
    .map(|name| {
        name.parse::<NamedFunction>()
            .expect("every listed name is a NamedFunction")
    })
}

/// Floats as a Python list prints them: `[6.00000000000378, 8.0]`.
pub(crate) fn py_list(values: impl IntoIterator<Item = f64>) -> String {
    let items: Vec<String> = values.into_iter().map(py_repr).collect();
    format!("[{}]", items.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cmd::testing::output;

    /// Parses `nn grad <args>` and renders the output, or the error line.
    fn nn_grad(args: &[&str]) -> String {
        output(args, render)
    }

    // numerical_gradient(function_2, np.array([3.0, 4.0]))  # [6.00000000000378, 7.999999999999119]
    // numerical_gradient(function_2, np.array([0.0, 2.0]))  # [0.0, 4.000000000004]
    // numerical_gradient(function_2, np.array([3.0, 0.0]))  # [6.000000000012662, 0.0]
    #[test]
    fn book_gradients() {
        #[track_caller]
        fn check(args: &[&str], expect: &str) {
            assert_eq!(nn_grad(args), expect, "nn grad {}", args.join(" "));
        }
        check(
            &["--function", "sphere", "--at=3,4"],
            "[6.00000000000378, 7.999999999999119]\n",
        );
        check(&["--at=0,2"], "[0.0, 4.000000000004]\n");
        check(&["--at", "3,0"], "[6.000000000012662, 0.0]\n");
    }

    #[test]
    fn snapshot_of_every_function() {
        let out: String = [
            ["--function", "quadratic", "--at=5"],
            ["--function", "sphere", "--at=-3,4"],
            ["--function", "saddle", "--at=-3,4"],
            ["--function", "rosenbrock", "--at=-1.5,2"],
            ["--function", "sphere", "--at=1,2,3"],
            ["--function", "saddle", "--at=1"],
            ["--function", "cubic", "--at=1"],
            ["--function", "sphere", "--at=one"],
        ]
        .iter()
        .map(|args| format!("$ nn grad {}\n{}", args.join(" "), nn_grad(args)))
        .collect::<Vec<_>>()
        .join("");
        insta::assert_snapshot!(out);
    }
}
