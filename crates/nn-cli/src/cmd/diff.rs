//! `nn diff`: the derivative of a function of one variable (§4.3).
//!
//! `nn diff --function quadratic --x 5` prints `0.1999999999990898`, the
//! book's `numerical_diff(function_1, 5)`.

use ndarray::array;
use nn_grad::{NamedFunction, numerical_diff, py_repr};

use crate::CliResult;

/// Print the numerical derivative of a function of one variable, at full
/// precision.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The function (of one variable).
    #[arg(long, default_value = "quadratic", value_parser = super::grad::function_parser())]
    pub(crate) function: NamedFunction,
    /// Where to take the derivative.
    #[arg(long, allow_negative_numbers = true)]
    pub(crate) x: f64,
}

pub(crate) fn run(args: Args) -> CliResult {
    print!("{}", render(&args)?);
    Ok(())
}

fn render(args: &Args) -> CliResult<String> {
    let f = args.function;
    if f.dim() != 1 {
        return Err(format!("nn diff needs a function of one variable, not {f}").into());
    }
    let d = numerical_diff(|x| f.eval(&array![x]), args.x);
    Ok(format!("{}\n", py_repr(d)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cmd::testing::output;

    fn nn_diff(args: &[&str]) -> String {
        output(args, render)
    }

    // numerical_diff(function_1, 5)    # 0.1999999999990898
    // numerical_diff(function_1, 10)   # 0.2999999999986347
    #[test]
    fn book_derivatives() {
        #[track_caller]
        fn check(args: &[&str], expect: &str) {
            assert_eq!(nn_diff(args), expect, "nn diff {}", args.join(" "));
        }
        check(
            &["--function", "quadratic", "--x", "5"],
            "0.1999999999990898\n",
        );
        check(&["--x=10"], "0.2999999999986347\n");
    }

    #[test]
    fn snapshot() {
        let out: String = [
            &["--x", "5"][..],
            &["--x", "-5"],
            &["--x", "1e-7"],
            &["--function", "sphere", "--x", "3"],
            &["--x", "five"],
            &["--function", "quadratic"],
        ]
        .iter()
        .map(|args| format!("$ nn diff {}\n{}", args.join(" "), nn_diff(args)))
        .collect();
        insta::assert_snapshot!(out);
    }
}
