//! Printing floats the way Python prints them.

/// `x` formatted exactly as Python's `repr(x)` (and `print(x)`) would.
///
/// Both languages print the shortest digits that read back as the same
/// `f64`, but they lay them out differently: Python switches to scientific
/// notation when the decimal exponent is below -4 or at least 16, writes the
/// exponent with a sign and at least two digits (`e-05`, `e+16`), and ends
/// integral values with `.0`. Rust's `{}` never uses an exponent. This is how
/// the command line prints the book's numbers so they can be compared with
/// the book's output character for character.
///
/// ```
/// use nn_grad::py_repr;
///
/// assert_eq!(py_repr(0.1999999999990898), "0.1999999999990898");
/// assert_eq!(py_repr(-6.111107928998789e-10), "-6.111107928998789e-10");
/// assert_eq!(py_repr(-25898374737328.363), "-25898374737328.363");
/// assert_eq!(py_repr(6.0), "6.0");
/// assert_eq!(py_repr(1e16), "1e+16");
/// assert_eq!(py_repr(f64::NAN), "nan");
/// ```
#[doc(alias = "repr")]
pub fn py_repr(x: f64) -> String {
    if x.is_nan() {
        return "nan".to_owned();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf" } else { "-inf" }.to_owned();
    }
    if x == 0.0 {
        return if x.is_sign_negative() { "-0.0" } else { "0.0" }.to_owned();
    }
    // `{:e}` gives the shortest round-trip digits as `d.ddde±x`.
    let sci = format!("{x:e}");
    let (mantissa, exponent) = sci
        .split_once('e')
        .expect("LowerExp output of a finite float has an exponent");
    let exponent: i32 = exponent
        .parse()
        .expect("LowerExp output has an integer exponent");
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", mantissa),
    };
    let digits: String = mantissa.chars().filter(|&c| c != '.').collect();
    let mut out = String::with_capacity(digits.len() + 8);
    out.push_str(sign);
    if !(-4..16).contains(&exponent) {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        let exp_sign = if exponent < 0 { '-' } else { '+' };
        out.push_str(&format!("e{exp_sign}{:02}", exponent.unsigned_abs()));
    } else if exponent >= 0 {
        let int_len = exponent.unsigned_abs() as usize + 1;
        if digits.len() <= int_len {
            out.push_str(&digits);
            out.extend(std::iter::repeat_n('0', int_len - digits.len()));
            out.push_str(".0");
        } else {
            out.push_str(&digits[..int_len]);
            out.push('.');
            out.push_str(&digits[int_len..]);
        }
    } else {
        out.push_str("0.");
        out.extend(std::iter::repeat_n(
            '0',
            exponent.unsigned_abs() as usize - 1,
        ));
        out.push_str(&digits);
    }
    out
}
