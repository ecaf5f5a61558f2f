//! Shared plotting helpers: a bundled font, PNG or SVG chosen by the file
//! extension, atomic writes, and a few drawing pieces (contour lines, arrows,
//! equal-aspect ranges, clipping, a colour map).
//!
//! Text is drawn with plotters' `ab_glyph` support and DejaVu Sans compiled
//! into the binary (`assets/DejaVuSans.ttf`, licence next to it), so plots
//! work on a machine without fontconfig or any system font.

use std::collections::HashMap;
use std::fmt;
use std::ops::Range;
use std::path::Path;
use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::{FontStyle, register_font};

use crate::CliResult;

/// The family every plot uses; the bundled font is registered under it, so
/// plotters' defaults (axis labels, legends) find it too.
pub(crate) const FONT: &str = "sans-serif";

static DEJAVU_SANS: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");

/// Registers the bundled font once per process.
fn ensure_font() -> CliResult {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok =
        *REGISTERED.get_or_init(|| register_font(FONT, FontStyle::Normal, DEJAVU_SANS).is_ok());
    if ok {
        Ok(())
    } else {
        Err("the bundled font DejaVuSans.ttf could not be loaded".into())
    }
}

/// A text style in the bundled font.
pub(crate) fn font(size: f64) -> TextStyle<'static> {
    (FONT, size).into_font().into()
}

/// The image formats a plot can be written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    /// A bitmap, `.png`.
    Png,
    /// A vector image, `.svg`.
    Svg,
}

impl Format {
    /// The format named by a path's extension (case-insensitive).
    pub(crate) fn from_path(path: &Path) -> CliResult<Self> {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        match ext.as_deref() {
            Some("png") => Ok(Self::Png),
            Some("svg") => Ok(Self::Svg),
            _ => Err(format!(
                "cannot tell the image format of {}: use a .png or .svg file name",
                path.display()
            )
            .into()),
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Png => "PNG",
            Self::Svg => "SVG",
        })
    }
}

/// Something that can draw itself on any plotters backend.
pub(crate) trait Figure {
    /// Draws on `root`, which covers the whole image.
    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>>;
}

/// Renders `figure` at `size` pixels to `path`, PNG or SVG by extension.
///
/// The image is written to a temporary file in the same directory and renamed
/// over `path`, so a reader never sees a half-written file.
pub(crate) fn save(figure: &impl Figure, path: &Path, size: (u32, u32)) -> CliResult<Format> {
    let format = Format::from_path(path)?;
    ensure_font()?;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let suffix = match format {
        Format::Png => ".png",
        Format::Svg => ".svg",
    };
    let mut builder = tempfile::Builder::new();
    builder.prefix(".nn-plot-").suffix(suffix);
    // A plot is an ordinary file: rw-r--r-- under the usual umask, not the
    // owner-only mode of temporary files.
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    let tmp = builder
        .tempfile_in(dir)
        .map_err(|e| format!("cannot create a file in {}: {e}", dir.display()))?;
    match format {
        Format::Png => {
            let root = BitMapBackend::new(tmp.path(), size).into_drawing_area();
            figure.draw(&root)?;
            root.present()?;
        }
        Format::Svg => {
            let mut svg = String::new();
            {
                let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
                figure.draw(&root)?;
                root.present()?;
            }
            std::fs::write(tmp.path(), svg)?;
        }
    }
    tmp.persist(path)
        .map_err(|e| format!("cannot write {}: {}", path.display(), e.error))?;
    Ok(format)
}

/// A chart on `f64` axes, as [`chart`] returns it.
pub(crate) type Chart2d<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// Margins around the plotting area, in pixels.
const MARGIN: u32 = 20;
const X_LABEL_AREA: u32 = 50;
const Y_LABEL_AREA: u32 = 64;

/// Writes a title and a smaller subtitle at the top of `area` and returns
/// the rest.
pub(crate) fn titled<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    subtitle: &str,
) -> Result<DrawingArea<DB, Shift>, DrawingAreaErrorKind<DB::ErrorType>> {
    let rest = area.titled(title, font(26.0))?;
    if subtitle.is_empty() {
        Ok(rest)
    } else {
        rest.titled(subtitle, font(17.0).color(&RGBColor(80, 80, 80)))
    }
}

/// A chart over `x` × `y` with a light grid and axis names. With `equal`,
/// one of the ranges is widened so both axes have the same scale (for
/// contour and vector plots: circles stay round, arrows keep their angle).
pub(crate) fn chart<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    x: Range<f64>,
    y: Range<f64>,
    names: (&str, &str),
    equal: bool,
) -> Result<Chart2d<'a, DB>, DrawingAreaErrorKind<DB::ErrorType>> {
    let (w, h) = area.dim_in_pixel();
    let (x, y) = if equal {
        equal_aspect(
            x,
            y,
            w.saturating_sub(2 * MARGIN + Y_LABEL_AREA),
            h.saturating_sub(2 * MARGIN + X_LABEL_AREA),
        )
    } else {
        (x, y)
    };
    let mut chart = ChartBuilder::on(area)
        .margin(MARGIN)
        .x_label_area_size(X_LABEL_AREA)
        .y_label_area_size(Y_LABEL_AREA)
        .build_cartesian_2d(x, y)?;
    chart
        .configure_mesh()
        .x_desc(names.0)
        .y_desc(names.1)
        .label_style(font(15.0))
        .axis_desc_style(font(19.0))
        .bold_line_style(BLACK.mix(0.12))
        .light_line_style(BLACK.mix(0.05))
        .max_light_lines(1)
        .draw()?;
    Ok(chart)
}

/// The legend box of a chart whose series have labels.
pub(crate) fn legend<'a, DB: DrawingBackend + 'a>(
    chart: &mut Chart2d<'a, DB>,
    position: SeriesLabelPosition,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    chart
        .configure_series_labels()
        .position(position)
        .margin(12)
        .label_font(font(16.0))
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK.mix(0.4))
        .draw()
}

/// Widens the narrower of two ranges so one data unit is as long on both
/// axes of a `width` × `height` pixel plotting area (circles stay round,
/// arrows keep their direction).
pub(crate) fn equal_aspect(
    x: Range<f64>,
    y: Range<f64>,
    width: u32,
    height: u32,
) -> (Range<f64>, Range<f64>) {
    let (w, h) = (f64::from(width.max(1)), f64::from(height.max(1)));
    let (dx, dy) = (x.end - x.start, y.end - y.start);
    if dx / w > dy / h {
        let grow = (dx / w * h - dy) / 2.0;
        (x, y.start - grow..y.end + grow)
    } else {
        let grow = (dy / h * w - dx) / 2.0;
        (x.start - grow..x.end + grow, y)
    }
}

/// The part of the segment `a`-`b` inside the rectangle `x` × `y`
/// (Liang-Barsky), or `None` if it misses the rectangle.
pub(crate) fn clip_segment(
    a: (f64, f64),
    b: (f64, f64),
    x: &Range<f64>,
    y: &Range<f64>,
) -> Option<((f64, f64), (f64, f64))> {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let (mut t0, mut t1) = (0.0_f64, 1.0_f64);
    for (p, q) in [
        (-dx, a.0 - x.start),
        (dx, x.end - a.0),
        (-dy, a.1 - y.start),
        (dy, y.end - a.1),
    ] {
        if p == 0.0 {
            if q < 0.0 {
                return None;
            }
        } else {
            let r = q / p;
            if p < 0.0 {
                t0 = t0.max(r);
            } else {
                t1 = t1.min(r);
            }
        }
    }
    (t0 <= t1).then_some((
        (a.0 + t0 * dx, a.1 + t0 * dy),
        (a.0 + t1 * dx, a.1 + t1 * dy),
    ))
}

/// An arrow in data coordinates: a shaft and a triangular head.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Arrow {
    /// From the tail to the base of the head.
    pub(crate) shaft: [(f64, f64); 2],
    /// The tip and the two barbs.
    pub(crate) head: [(f64, f64); 3],
}

/// The arrow from `from` to `to` with a head `head` data units long (capped
/// at the arrow's length) and half as wide, for an equal-aspect chart.
pub(crate) fn arrow(from: (f64, f64), to: (f64, f64), head: f64) -> Arrow {
    let (dx, dy) = (to.0 - from.0, to.1 - from.1);
    let len = dx.hypot(dy);
    if len == 0.0 || !len.is_finite() {
        return Arrow {
            shaft: [from, from],
            head: [from, from, from],
        };
    }
    let head = head.min(len);
    let (ux, uy) = (dx / len, dy / len);
    let base = (to.0 - head * ux, to.1 - head * uy);
    let half = head / 4.0;
    Arrow {
        shaft: [from, base],
        head: [
            to,
            (base.0 - half * uy, base.1 + half * ux),
            (base.0 + half * uy, base.1 - half * ux),
        ],
    }
}

/// `n` evenly spaced values from `range.start` to `range.end` inclusive.
pub(crate) fn linspace(range: &Range<f64>, n: usize) -> Vec<f64> {
    match n {
        0 => Vec::new(),
        1 => vec![range.start],
        _ => (0..n)
            .map(|i| range.start + (range.end - range.start) * i as f64 / (n - 1) as f64)
            .collect(),
    }
}

/// Contour lines of a function sampled on a grid, by marching squares.
///
/// `z[j][i]` is the value at `(xs[i], ys[j])`. Returns polylines (closed
/// loops end where they start) along which the interpolated value equals
/// `level`. Cells with a NaN corner are skipped.
pub(crate) fn contour_lines(
    xs: &[f64],
    ys: &[f64],
    z: &[Vec<f64>],
    level: f64,
) -> Vec<Vec<(f64, f64)>> {
    // A crossing lies on a grid edge: (i, j, horizontal?) names the edge from
    // (i, j) to (i + 1, j) or to (i, j + 1).
    type Edge = (usize, usize, bool);
    let point = |(i, j, horizontal): Edge| -> (f64, f64) {
        let (i2, j2) = if horizontal { (i + 1, j) } else { (i, j + 1) };
        let (za, zb) = (z[j][i], z[j2][i2]);
        let t = if zb == za {
            0.5
        } else {
            (level - za) / (zb - za)
        };
        (xs[i] + t * (xs[i2] - xs[i]), ys[j] + t * (ys[j2] - ys[j]))
    };
    let mut links: HashMap<Edge, Vec<Edge>> = HashMap::new();
    let mut link = |a: Edge, b: Edge| {
        links.entry(a).or_default().push(b);
        links.entry(b).or_default().push(a);
    };
    for j in 0..ys.len().saturating_sub(1) {
        for i in 0..xs.len().saturating_sub(1) {
            let corners = [z[j][i], z[j][i + 1], z[j + 1][i + 1], z[j + 1][i]];
            if corners.iter().any(|v| v.is_nan()) {
                continue;
            }
            let case = corners
                .iter()
                .enumerate()
                .fold(0, |acc, (k, &v)| acc | (usize::from(v > level) << k));
            // Edges of the cell: bottom, right, top, left.
            let (b, r, t, l) = (
                (i, j, true),
                (i + 1, j, false),
                (i, j + 1, true),
                (i, j, false),
            );
            let centre_above = corners.iter().sum::<f64>() / 4.0 > level;
            match case {
                0 | 15 => {}
                1 | 14 => link(l, b),
                2 | 13 => link(b, r),
                3 | 12 => link(l, r),
                4 | 11 => link(r, t),
                6 | 9 => link(b, t),
                7 | 8 => link(l, t),
                // Saddle cells: the centre value decides which corners join.
                5 if centre_above => {
                    link(l, t);
                    link(b, r);
                }
                5 => {
                    link(l, b);
                    link(r, t);
                }
                10 if centre_above => {
                    link(l, b);
                    link(r, t);
                }
                10 => {
                    link(l, t);
                    link(b, r);
                }
                _ => unreachable!("four corners give sixteen cases"),
            }
        }
    }
    // Walk the graph (every crossing has one or two neighbours): open lines
    // from their ends first, then the closed loops that remain.
    let mut lines = Vec::new();
    let mut starts: Vec<Edge> = links
        .iter()
        .filter(|(_, n)| n.len() == 1)
        .map(|(&e, _)| e)
        .collect();
    starts.sort_unstable();
    let mut rest: Vec<Edge> = links.keys().copied().collect();
    rest.sort_unstable();
    starts.extend(rest);
    for start in starts {
        if !links.contains_key(&start) {
            continue;
        }
        let mut line = vec![point(start)];
        let mut current = start;
        while let Some(next) = links.get_mut(&current).and_then(Vec::pop) {
            if let Some(back) = links.get_mut(&next) {
                if let Some(k) = back.iter().position(|&e| e == current) {
                    back.swap_remove(k);
                }
            }
            if links.get(&current).is_some_and(Vec::is_empty) {
                links.remove(&current);
            }
            line.push(point(next));
            current = next;
        }
        links.remove(&current);
        links.remove(&start);
        if line.len() > 1 {
            lines.push(line);
        }
    }
    lines
}

/// A colour from the viridis map for `t` in `[0, 1]` (dark blue to yellow),
/// interpolated between eight of its samples.
pub(crate) fn viridis(t: f64) -> RGBColor {
    const STOPS: [(u8, u8, u8); 8] = [
        (68, 1, 84),
        (70, 50, 127),
        (54, 92, 141),
        (39, 127, 142),
        (31, 161, 135),
        (74, 194, 109),
        (159, 218, 58),
        (253, 231, 37),
    ];
    let t = if t.is_nan() { 0.0 } else { t.clamp(0.0, 1.0) };
    let x = t * (STOPS.len() - 1) as f64;
    let k = (x.floor() as usize).min(STOPS.len() - 2);
    let f = x - k as f64;
    let mix = |a: u8, b: u8| (f64::from(a) + f * (f64::from(b) - f64::from(a))).round() as u8;
    let (a, b) = (STOPS[k], STOPS[k + 1]);
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_come_from_the_extension() {
        #[track_caller]
        fn check(path: &str, expect: Option<Format>) {
            assert_eq!(Format::from_path(Path::new(path)).ok(), expect, "{path}");
        }
        check("a.png", Some(Format::Png));
        check("dir/b.SVG", Some(Format::Svg));
        check("c.jpg", None);
        check("png", None);
    }

    #[test]
    fn equal_aspect_widens_the_narrow_range() {
        #[track_caller]
        fn check(x: Range<f64>, y: Range<f64>, px: (u32, u32), expect: (Range<f64>, Range<f64>)) {
            assert_eq!(equal_aspect(x, y, px.0, px.1), expect);
        }
        check(-2.0..2.0, -1.0..1.0, (400, 400), (-2.0..2.0, -2.0..2.0));
        check(-1.0..1.0, -2.0..2.0, (400, 400), (-2.0..2.0, -2.0..2.0));
        check(0.0..4.0, 0.0..1.0, (800, 400), (0.0..4.0, -0.5..1.5));
    }

    #[test]
    fn segments_are_clipped_to_the_rectangle() {
        #[track_caller]
        fn check(a: (f64, f64), b: (f64, f64), expect: Option<((f64, f64), (f64, f64))>) {
            assert_eq!(
                clip_segment(a, b, &(0.0..1.0), &(0.0..1.0)),
                expect,
                "{a:?}-{b:?}"
            );
        }
        check((0.25, 0.25), (0.75, 0.5), Some(((0.25, 0.25), (0.75, 0.5))));
        check((-1.0, 0.5), (2.0, 0.5), Some(((0.0, 0.5), (1.0, 0.5))));
        check((0.5, -1.0), (0.5, 0.5), Some(((0.5, 0.0), (0.5, 0.5))));
        check((2.0, 2.0), (3.0, 3.0), None);
        check((-1.0, 2.0), (2.0, 1.5), None);
    }

    #[test]
    fn arrows_point_at_their_target() {
        let a = arrow((0.0, 0.0), (1.0, 0.0), 0.25);
        assert_eq!(a.shaft, [(0.0, 0.0), (0.75, 0.0)]);
        assert_eq!(a.head, [(1.0, 0.0), (0.75, 0.0625), (0.75, -0.0625)]);
        // The head never outgrows a short arrow.
        let a = arrow((0.0, 0.0), (0.0, 0.1), 0.25);
        assert_eq!(a.shaft, [(0.0, 0.0), (0.0, 0.0)]);
        assert_eq!(a.head[0], (0.0, 0.1));
        let a = arrow((1.0, 1.0), (1.0, 1.0), 0.25);
        assert_eq!(a.head, [(1.0, 1.0); 3]);
    }

    #[test]
    fn contours_of_a_paraboloid_are_closed_circles() {
        let ticks = linspace(&(-2.0..2.0), 81);
        let z: Vec<Vec<f64>> = ticks
            .iter()
            .map(|&y| ticks.iter().map(|&x| x * x + y * y).collect())
            .collect();
        for (level, radius) in [(1.0, 1.0), (2.25, 1.5)] {
            let lines = contour_lines(&ticks, &ticks, &z, level);
            assert_eq!(lines.len(), 1, "one loop at level {level}");
            let line = &lines[0];
            assert_eq!(line.first(), line.last(), "closed");
            assert!(line.len() > 40);
            // Linear interpolation between grid points 0.05 apart: close to
            // the circle, never far.
            for &(x, y) in line {
                assert!(
                    (x.hypot(y) - radius).abs() < 0.01,
                    "({x}, {y}) at level {level}"
                );
            }
        }
        // A level the function never reaches gives nothing.
        assert!(contour_lines(&ticks, &ticks, &z, 100.0).is_empty());
    }

    #[test]
    fn contours_of_a_saddle_are_open_lines() {
        let ticks = linspace(&(-2.0..2.0), 41);
        let z: Vec<Vec<f64>> = ticks
            .iter()
            .map(|&y| ticks.iter().map(|&x| x * x - y * y).collect())
            .collect();
        // x² - y² = 1: two branches, each from the grid's edge (at x = ±2,
        // y = ∓√3) to the edge (at y = ±√3).
        let lines = contour_lines(&ticks, &ticks, &z, 1.0);
        assert_eq!(lines.len(), 2);
        for line in &lines {
            let (first, last) = (line[0], line[line.len() - 1]);
            assert!(
                first.0.abs() == 2.0 && last.0.abs() == 2.0,
                "{first:?} {last:?}"
            );
            assert!((first.1.abs() - 3.0_f64.sqrt()).abs() < 0.01);
            assert!(first.1 * last.1 < 0.0, "from below the axis to above it");
            assert!(
                line.iter()
                    .all(|&(x, y)| (x * x - y * y - 1.0).abs() < 0.05)
            );
        }
    }

    #[test]
    fn viridis_runs_from_purple_to_yellow() {
        assert_eq!(viridis(0.0), RGBColor(68, 1, 84));
        assert_eq!(viridis(1.0), RGBColor(253, 231, 37));
        assert_eq!(viridis(2.0), viridis(1.0));
        assert_eq!(viridis(f64::NAN), viridis(0.0));
    }
}
