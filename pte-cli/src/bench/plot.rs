//! `--svg FILE`: faults per wall second against threads, one panel per (layout, workload),
//! one solid line per strategy, the kernel and the floor as dashed reference lines. Both
//! axes are logarithmic (threads are usually powers of two).

use std::path::Path;

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::options::{Kind, StrategyKind};
use super::report::{Row, Sample, Spread, si};
use pte_machine::published::Series;

/// The colour of a row's line.
fn colour(kind: Kind) -> RGBColor {
    match kind {
        Kind::Floor => RGBColor(0, 0, 0),
        Kind::Kernel => RGBColor(120, 120, 120),
        Kind::Strategy(StrategyKind::MmLock) => RGBColor(214, 39, 40),
        Kind::Strategy(StrategyKind::SplitLock) => RGBColor(31, 119, 180),
        Kind::Strategy(StrategyKind::LockBitRefault) => RGBColor(148, 103, 189),
        Kind::Strategy(StrategyKind::LockBitSpin) => RGBColor(255, 127, 14),
        Kind::Strategy(StrategyKind::Cmpxchg) => RGBColor(44, 160, 44),
    }
}

/// Values in `lo..=hi` whose mantissa is 1, 2 or 5 (more when that gives fewer than three).
fn rate_ticks(lo: f64, hi: f64) -> Vec<f64> {
    let within = |mantissas: &[f64]| -> Vec<f64> {
        let mut out = Vec::new();
        if !(lo > 0.0 && hi > lo) {
            return out;
        }
        let mut exp = lo.log10().floor() as i32;
        while 10f64.powi(exp) <= hi {
            let decade = 10f64.powi(exp);
            for m in mantissas {
                let v = m * decade;
                if v >= lo && v <= hi {
                    out.push(v);
                }
            }
            exp += 1;
        }
        out
    };
    let coarse = within(&[1.0, 2.0, 5.0]);
    if coarse.len() >= 3 {
        coarse
    } else {
        within(&[1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 7.0])
    }
}

/// Writes the plot of `rows` to `path`; `subtitle` goes under the title (the command).
/// `published` (a `--machine` run of an Altix) is drawn over the `pft` panels as hollow
/// circles in the colour of the strategy each table corresponds to.
pub fn write_svg(
    path: &Path,
    rows: &[Row],
    subtitle: &str,
    published: &[Series],
) -> Result<(), String> {
    let published_points = |workload: &str| -> Vec<(Kind, f64, f64)> {
        if workload != "pft" {
            return Vec::new();
        }
        published
            .iter()
            .filter_map(|s| {
                let kind = StrategyKind::from_name(s.strategy.as_deref()?)?;
                Some(s.points.iter().filter_map(move |p| {
                    let rate = p.faults_per_wall_second?;
                    Some((Kind::Strategy(kind), (p.threads as f64).log2(), rate))
                }))
            })
            .flatten()
            .collect()
    };
    // Panels: (layout, workload) in row order.
    let mut panels: Vec<(&str, &str)> = Vec::new();
    for r in rows {
        let key = (r.layout, r.workload.name());
        if !panels.contains(&key) {
            panels.push(key);
        }
    }
    let cols = panels.len().clamp(1, 3);
    let lines = panels.len().div_ceil(cols).max(1);
    let (pw, ph) = (520u32, 380u32);
    let head_h = 78u32;
    let size = (pw * cols as u32, ph * lines as u32 + head_h);
    let root = SVGBackend::new(path, size).into_drawing_area();
    let err = |e: &dyn std::fmt::Display| format!("writing {}: {e}", path.display());
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let (head, body) = root.split_vertically(head_h);
    head.draw_text(
        "pte bench: faults per wall second against threads (median of the repetitions)",
        &("sans-serif", 20).into_font().color(&BLACK),
        (12, 8),
    )
    .map_err(|e| err(&e))?;
    head.draw_text(
        subtitle,
        &("monospace", 14).into_font().color(&RGBColor(80, 80, 80)),
        (12, 32),
    )
    .map_err(|e| err(&e))?;
    // One legend for every panel: the rows' kinds in order, references dashed.
    let mut kinds: Vec<Kind> = Vec::new();
    for r in rows {
        if !kinds.contains(&r.kind) {
            kinds.push(r.kind);
        }
    }
    let mut x = 12i32;
    for &kind in &kinds {
        let c = colour(kind);
        let y = 62i32;
        let dashed = matches!(kind, Kind::Floor | Kind::Kernel);
        let segments: Vec<(i32, i32)> = if dashed {
            vec![(x, x + 8), (x + 12, x + 20), (x + 24, x + 30)]
        } else {
            vec![(x, x + 30)]
        };
        for (a, b) in segments {
            head.draw(&PathElement::new(vec![(a, y), (b, y)], c.stroke_width(2)))
                .map_err(|e| err(&e))?;
        }
        head.draw_text(
            kind.name(),
            &("sans-serif", 14).into_font().color(&BLACK),
            (x + 36, y - 7),
        )
        .map_err(|e| err(&e))?;
        x += 50 + 8 * kind.name().len() as i32;
    }
    if !published.is_empty() {
        head.draw(&Circle::new((x + 6, 62), 4, BLACK.stroke_width(1)))
            .map_err(|e| err(&e))?;
        head.draw_text(
            "published (2004-2005 pft tables)",
            &("sans-serif", 14).into_font().color(&BLACK),
            (x + 16, 55),
        )
        .map_err(|e| err(&e))?;
    }
    let areas = body.split_evenly((lines, cols));
    for (area, (layout, workload)) in areas.iter().zip(&panels) {
        let group: Vec<&Row> = rows
            .iter()
            .filter(|r| r.layout == *layout && r.workload.name() == *workload)
            .collect();
        let median = |r: &Row| Spread::of(r.samples.iter().map(Sample::rate_wall)).median;
        let log2 = |t: usize| (t as f64).log2();
        let overlay = published_points(workload);
        let xs: Vec<f64> = group
            .iter()
            .map(|r| log2(r.shape.threads))
            .chain(overlay.iter().map(|p| p.1))
            .collect();
        let xmin = xs.iter().copied().fold(f64::INFINITY, f64::min);
        let xmax = xs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let (xmin, xmax) = if xmin.is_finite() {
            (xmin, xmax)
        } else {
            (0.0, 0.0)
        };
        let rates: Vec<f64> = group
            .iter()
            .map(|r| median(r))
            .chain(overlay.iter().map(|p| p.2))
            .filter(|&v| v > 0.0)
            .collect();
        let ymin = rates.iter().copied().fold(f64::INFINITY, f64::min);
        let ymax = rates.iter().copied().fold(0.0, f64::max);
        let (ymin, ymax) = if ymin.is_finite() && ymax > 0.0 {
            (ymin / 1.6, ymax * 1.6)
        } else {
            (1.0, 10.0)
        };
        let mut chart = ChartBuilder::on(area)
            .caption(format!("{layout}  {workload}"), ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d(xmin - 0.3..xmax + 0.3, (ymin..ymax).log_scale())
            .map_err(|e| err(&e))?;
        // Threads on a log2 axis: a label at every power of two. Rates on a log axis, with
        // grid lines and labels at 1-2-5 values (drawn here: plotters' own log ticks are
        // sparse below the first power of ten).
        let ticks = ((xmax - xmin).round() as usize + 2).max(2);
        chart
            .configure_mesh()
            .x_desc("threads")
            .y_desc("faults / wall second")
            .x_labels(ticks)
            .y_labels(0)
            .y_label_formatter(&|_| String::new())
            .disable_y_mesh()
            .x_label_formatter(&|v| {
                if (v - v.round()).abs() < 1e-6 {
                    format!("{}", 2f64.powf(v.round()))
                } else {
                    String::new()
                }
            })
            .light_line_style(WHITE)
            .bold_line_style(RGBColor(225, 225, 225))
            .label_style(("sans-serif", 13))
            .axis_desc_style(("sans-serif", 14))
            .draw()
            .map_err(|e| err(&e))?;
        let (x0, x1) = (xmin - 0.3, xmax + 0.3);
        let grid = rate_ticks(ymin, ymax);
        for &v in &grid {
            chart
                .draw_series(LineSeries::new(
                    vec![(x0, v), (x1, v)],
                    RGBColor(225, 225, 225),
                ))
                .map_err(|e| err(&e))?;
            let (px, py) = chart.backend_coord(&(x0, v));
            let style = ("sans-serif", 13)
                .into_font()
                .color(&BLACK)
                .pos(Pos::new(HPos::Right, VPos::Center));
            root.draw_text(&si(v), &style, (px - 6, py))
                .map_err(|e| err(&e))?;
        }
        for &kind in &kinds {
            let mut points: Vec<(f64, f64)> = group
                .iter()
                .filter(|r| r.kind == kind)
                .map(|r| (log2(r.shape.threads), median(r)))
                .filter(|p| p.1 > 0.0)
                .collect();
            points.sort_by(|a, b| a.0.total_cmp(&b.0));
            let style = colour(kind).stroke_width(2);
            match kind {
                Kind::Floor | Kind::Kernel => {
                    chart.draw_series(DashedLineSeries::new(points, 7, 5, style))
                }
                Kind::Strategy(_) => {
                    chart.draw_series(LineSeries::new(points, style).point_size(3))
                }
            }
            .map_err(|e| err(&e))?;
        }
        chart
            .draw_series(
                overlay
                    .iter()
                    .map(|&(kind, x, y)| Circle::new((x, y), 4, colour(kind).stroke_width(1))),
            )
            .map_err(|e| err(&e))?;
    }
    root.present().map_err(|e| err(&e))?;
    Ok(())
}
