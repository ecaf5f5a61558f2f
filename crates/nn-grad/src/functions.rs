//! The book's example functions and a few more with interesting landscapes,
//! plus [`NamedFunction`], a small enum a command line can parse.

use std::fmt;
use std::str::FromStr;

use ndarray::{ArrayBase, Data, Dimension, Ix1};
use nn_core::Float;

use crate::numerical::lit;
use crate::{Error, Result};

/// The book's `function_1`: `y = 0.01x² + 0.1x` (section 4.3.2).
///
/// Evaluated as `0.01 * x**2 + 0.1 * x`, the book's order. Its derivative is
/// `0.02x + 0.1`: 0.2 at 5, 0.3 at 10.
///
/// ```
/// use nn_grad::function_1;
///
/// assert_eq!(function_1(10.0), 2.0);
/// assert!((function_1(5.0_f32) - 0.75).abs() < 1e-6);
/// ```
pub fn function_1<T: Float>(x: T) -> T {
    lit::<T>(0.01) * (x * x) + lit::<T>(0.1) * x
}

/// The book's `function_2`: the sum of squares, `f(x) = x0² + x1² + ...`
/// (section 4.3.3), for an array of any shape.
///
/// Accumulated left to right from zero, which is `np.sum(x**2)` for fewer
/// than eight elements. The gradient is `2x`; the minimum 0 is at the origin.
///
/// ```
/// use ndarray::array;
/// use nn_grad::function_2;
///
/// assert_eq!(function_2(&array![3.0, 4.0]), 25.0);
/// ```
#[doc(alias = "sphere")]
pub fn function_2<T, S, D>(x: &ArrayBase<S, D>) -> T
where
    T: Float,
    S: Data<Elem = T>,
    D: Dimension,
{
    x.iter().fold(T::zero(), |acc, &v| acc + v * v)
}

/// A saddle: `f(x) = x0² - x1² - x2² - ...`.
///
/// The origin is a critical point (the gradient `(2x0, -2x1, ...)` vanishes)
/// but not a minimum: a minimum along `x0`, a maximum along the others. Gradient
/// descent started on the `x0` axis walks straight into it and stops, the
/// book's warning in section 4.4.1. An empty `x` gives 0.
///
/// ```
/// use ndarray::array;
/// use nn_grad::saddle;
///
/// assert_eq!(saddle(&array![3.0, 4.0]), -7.0);
/// ```
pub fn saddle<T, S>(x: &ArrayBase<S, Ix1>) -> T
where
    T: Float,
    S: Data<Elem = T>,
{
    let mut coords = x.iter();
    let first = coords.next().map_or(T::zero(), |&v| v * v);
    coords.fold(first, |acc, &v| acc - v * v)
}

/// Rosenbrock's banana: `f(x) = (1 - x0)² + 100 (x1 - x0²)²`, summed over
/// consecutive pairs for more coordinates.
///
/// `sum over i of (1 - x_i)² + 100 (x_{i+1} - x_i²)²`. The minimum 0 is at
/// `(1, 1, ...)`, at the end of a long curved valley where the gradient is
/// small and descent crawls. Fewer than two coordinates give 0.
///
/// ```
/// use ndarray::array;
/// use nn_grad::rosenbrock;
///
/// assert_eq!(rosenbrock(&array![1.0, 1.0]), 0.0);
/// assert_eq!(rosenbrock(&array![0.0, 1.0]), 101.0);
/// ```
#[doc(alias = "banana")]
pub fn rosenbrock<T, S>(x: &ArrayBase<S, Ix1>) -> T
where
    T: Float,
    S: Data<Elem = T>,
{
    let hundred: T = lit(100.0);
    x.iter()
        .zip(x.iter().skip(1))
        .fold(T::zero(), |acc, (&a, &b)| {
            let u = T::one() - a;
            let v = b - a * a;
            acc + u * u + hundred * (v * v)
        })
}

/// What kind of critical point (zero gradient) a point is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CriticalKind {
    /// The lowest point around: descent should end here.
    Minimum,
    /// Downhill in some directions, uphill in others: descent can still stop
    /// here because the gradient is zero.
    Saddle,
}

/// A point where a [`NamedFunction`]'s gradient vanishes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CriticalPoint {
    /// Its coordinates, in the function's usual dimension
    /// ([`NamedFunction::dim`]).
    pub at: &'static [f64],
    /// Minimum or saddle.
    pub kind: CriticalKind,
}

/// The functions a command line can ask for by name.
///
/// ```
/// use ndarray::array;
/// use nn_grad::NamedFunction;
///
/// let f: NamedFunction = "sphere".parse()?;
/// assert_eq!(f, NamedFunction::Sphere);
/// assert_eq!(f.eval(&array![3.0, 4.0]), 25.0);
/// assert!("cube".parse::<NamedFunction>().is_err());
/// # Ok::<(), nn_grad::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum NamedFunction {
    /// [`function_1`], `0.01x² + 0.1x`, a function of one variable.
    Quadratic,
    /// [`function_2`], `x0² + x1²`.
    Sphere,
    /// [`saddle`], `x0² - x1²`.
    Saddle,
    /// [`rosenbrock`], `(1 - x0)² + 100 (x1 - x0²)²`.
    Rosenbrock,
}

impl NamedFunction {
    /// Every named function, in the order the command line lists them.
    pub const ALL: [Self; 4] = [
        Self::Quadratic,
        Self::Sphere,
        Self::Saddle,
        Self::Rosenbrock,
    ];

    /// The name the command line uses: `"quadratic"`, `"sphere"`, ...
    ///
    /// ```
    /// assert_eq!(nn_grad::NamedFunction::Rosenbrock.name(), "rosenbrock");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Self::Quadratic => "quadratic",
            Self::Sphere => "sphere",
            Self::Saddle => "saddle",
            Self::Rosenbrock => "rosenbrock",
        }
    }

    /// The formula in its usual dimension, for titles and help text.
    ///
    /// ```
    /// assert_eq!(nn_grad::NamedFunction::Sphere.formula(), "x0² + x1²");
    /// ```
    pub fn formula(self) -> &'static str {
        match self {
            Self::Quadratic => "0.01x² + 0.1x",
            Self::Sphere => "x0² + x1²",
            Self::Saddle => "x0² − x1²",
            Self::Rosenbrock => "(1 − x0)² + 100(x1 − x0²)²",
        }
    }

    /// The usual number of coordinates: 1 for `quadratic`, 2 for the others.
    ///
    /// ```
    /// assert_eq!(nn_grad::NamedFunction::Quadratic.dim(), 1);
    /// ```
    pub fn dim(self) -> usize {
        match self {
            Self::Quadratic => 1,
            Self::Sphere | Self::Saddle | Self::Rosenbrock => 2,
        }
    }

    /// Checks that a point with `n` coordinates suits this function:
    /// exactly 1 for `quadratic`, at least 1 for `sphere`, at least 2 for
    /// `saddle` and `rosenbrock`.
    ///
    /// # Errors
    ///
    /// [`Error::Dimension`] when it does not.
    ///
    /// ```
    /// use nn_grad::{Error, NamedFunction};
    ///
    /// assert!(NamedFunction::Sphere.check_dim(3).is_ok());
    /// assert!(matches!(
    ///     NamedFunction::Saddle.check_dim(1),
    ///     Err(Error::Dimension { got: 1, .. })
    /// ));
    /// ```
    pub fn check_dim(self, n: usize) -> Result<()> {
        let (ok, expected) = match self {
            Self::Quadratic => (n == 1, "1"),
            Self::Sphere => (n >= 1, "at least 1"),
            Self::Saddle | Self::Rosenbrock => (n >= 2, "at least 2"),
        };
        if ok {
            Ok(())
        } else {
            Err(Error::Dimension {
                function: self.name(),
                expected,
                got: n,
            })
        }
    }

    /// The function's value at `x`, shape `(D,)`.
    ///
    /// Never panics: `quadratic` sums [`function_1`] over the coordinates
    /// (exactly `function_1` for one), and the others are defined for any
    /// length; use [`NamedFunction::check_dim`] to reject points a user did
    /// not mean.
    ///
    /// ```
    /// use ndarray::array;
    /// use nn_grad::{function_1, NamedFunction};
    ///
    /// assert_eq!(NamedFunction::Quadratic.eval(&array![5.0]), function_1(5.0));
    /// assert_eq!(NamedFunction::Saddle.eval(&array![1.0, 2.0]), -3.0);
    /// ```
    pub fn eval<T, S>(self, x: &ArrayBase<S, Ix1>) -> T
    where
        T: Float,
        S: Data<Elem = T>,
    {
        match self {
            Self::Quadratic => x.iter().fold(T::zero(), |acc, &v| acc + function_1(v)),
            Self::Sphere => function_2(x),
            Self::Saddle => saddle(x),
            Self::Rosenbrock => rosenbrock(x),
        }
    }

    /// The points in the usual dimension where the gradient is zero.
    ///
    /// ```
    /// use nn_grad::{CriticalKind, NamedFunction};
    ///
    /// let points = NamedFunction::Saddle.critical_points();
    /// assert_eq!(points[0].at, &[0.0, 0.0]);
    /// assert_eq!(points[0].kind, CriticalKind::Saddle);
    /// ```
    pub fn critical_points(self) -> &'static [CriticalPoint] {
        const fn min(at: &'static [f64]) -> CriticalPoint {
            CriticalPoint {
                at,
                kind: CriticalKind::Minimum,
            }
        }
        const QUADRATIC: &[CriticalPoint] = &[min(&[-5.0])];
        const SPHERE: &[CriticalPoint] = &[min(&[0.0, 0.0])];
        const SADDLE: &[CriticalPoint] = &[CriticalPoint {
            at: &[0.0, 0.0],
            kind: CriticalKind::Saddle,
        }];
        const ROSENBROCK: &[CriticalPoint] = &[min(&[1.0, 1.0])];
        match self {
            Self::Quadratic => QUADRATIC,
            Self::Sphere => SPHERE,
            Self::Saddle => SADDLE,
            Self::Rosenbrock => ROSENBROCK,
        }
    }
}

impl fmt::Display for NamedFunction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for NamedFunction {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|f| f.name() == s)
            .ok_or_else(|| Error::UnknownFunction {
                name: s.to_owned(),
                expected: Self::ALL.map(Self::name).join(", "),
            })
    }
}
