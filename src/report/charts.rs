//! Charts as inline SVG, drawn on the server: no script, no external file, printable.
//!
//! Every function returns SVG markup whose text is escaped here; templates insert it as is.

use std::fmt::Write;

/// Escapes text for SVG/HTML.
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A line chart of scores (0–100) over quarters; a quarter without a score leaves a gap.
pub fn trend(points: &[(String, Option<f64>)]) -> String {
    let (width, height, pad_x, top, bottom) = (360.0, 150.0, 30.0, 20.0, 28.0);
    let plot_h = height - top - bottom;
    let step = if points.len() > 1 {
        (width - 2.0 * pad_x) / (points.len() - 1) as f64
    } else {
        0.0
    };
    let x = |i: usize| pad_x + step * i as f64;
    let y = |v: f64| top + plot_h * (1.0 - v.clamp(0.0, 100.0) / 100.0);
    let mut svg = format!(
        "<svg class=\"chart\" viewBox=\"0 0 {width} {height}\" width=\"{width}\" height=\"{height}\" role=\"img\" \
         aria-label=\"DXS by quarter\">"
    );
    for grid in [0.0, 50.0, 100.0] {
        let _ = write!(
            svg,
            "<line x1=\"{pad_x}\" x2=\"{}\" y1=\"{y:.1}\" y2=\"{y:.1}\" class=\"grid\"/>\
             <text x=\"4\" y=\"{:.1}\" class=\"axis\">{grid}</text>",
            width - pad_x + 10.0,
            y(grid) + 4.0,
            y = y(grid)
        );
    }
    let path: Vec<String> = points
        .iter()
        .enumerate()
        .filter_map(|(i, (_, v))| v.map(|v| format!("{:.1},{:.1}", x(i), y(v))))
        .collect();
    if path.len() > 1 {
        let _ = write!(
            svg,
            "<polyline points=\"{}\" class=\"line\"/>",
            path.join(" ")
        );
    }
    for (i, (quarter, value)) in points.iter().enumerate() {
        let _ = write!(
            svg,
            "<text x=\"{:.1}\" y=\"{}\" class=\"axis\" text-anchor=\"middle\">{}</text>",
            x(i),
            height - 8.0,
            esc(quarter)
        );
        if let Some(v) = value {
            let _ = write!(
                svg,
                "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"4\" class=\"dot\"><title>{}: {v:.1}</title></circle>\
                 <text x=\"{:.1}\" y=\"{:.1}\" class=\"value\" text-anchor=\"middle\">{v:.1}</text>",
                x(i),
                y(*v),
                esc(quarter),
                x(i),
                y(*v) - 8.0
            );
        }
    }
    svg.push_str("</svg>");
    svg
}

/// One segment of a stacked bar.
pub struct Segment<'a> {
    /// Legend text.
    pub label: &'a str,
    /// Count.
    pub count: i64,
    /// CSS class that colours it.
    pub class: &'a str,
}

/// A stacked horizontal bar of counts with a legend (NPS groups, the wait distribution).
pub fn stacked(title: &str, segments: &[Segment<'_>]) -> String {
    let (width, bar_h) = (360.0, 22.0);
    let total: i64 = segments.iter().map(|s| s.count).sum();
    let mut svg = format!(
        "<svg class=\"chart\" viewBox=\"0 0 {width} 52\" width=\"{width}\" height=\"52\" role=\"img\" aria-label=\"{}\">",
        esc(title)
    );
    let mut x = 0.0;
    let mut legend_x = 0.0;
    for s in segments {
        let share = if total > 0 {
            s.count as f64 / total as f64
        } else {
            0.0
        };
        let w = width * share;
        let _ = write!(
            svg,
            "<rect x=\"{x:.1}\" width=\"{w:.1}\" height=\"{bar_h}\" class=\"{}\"><title>{}: {} ({:.0}%)</title></rect>",
            esc(s.class),
            esc(s.label),
            s.count,
            share * 100.0
        );
        let _ = write!(
            svg,
            "<rect x=\"{legend_x:.1}\" y=\"32\" width=\"10\" height=\"10\" class=\"{}\"/>\
             <text x=\"{:.1}\" y=\"41\" class=\"axis\">{} {}</text>",
            esc(s.class),
            legend_x + 14.0,
            esc(s.label),
            s.count
        );
        x += w;
        legend_x += width / segments.len().max(1) as f64;
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trend_draws_a_point_per_scored_quarter_and_escapes_labels() {
        let svg = trend(&[
            ("2026-Q1".into(), Some(50.0)),
            ("<b>".into(), None),
            ("2026-Q3".into(), Some(100.0)),
        ]);
        assert_eq!(svg.matches("<circle").count(), 2);
        assert!(svg.contains("&lt;b&gt;"));
        assert!(!svg.contains("<b>"));
        // 100 sits at the top of the plot area, 50 in its middle.
        assert!(svg.contains("cy=\"20.0\""), "{svg}");
        assert!(svg.contains("cy=\"71.0\""), "{svg}");
    }

    #[test]
    fn stacked_shares_add_up() {
        let svg = stacked(
            "NPS",
            &[
                Segment {
                    label: "Promoters",
                    count: 1,
                    class: "good",
                },
                Segment {
                    label: "Passives",
                    count: 1,
                    class: "neutral",
                },
                Segment {
                    label: "Detractors",
                    count: 2,
                    class: "bad",
                },
            ],
        );
        assert!(
            svg.contains("width=\"90.0\" height=\"22\" class=\"good\""),
            "{svg}"
        );
        assert!(
            svg.contains("width=\"180.0\" height=\"22\" class=\"bad\""),
            "{svg}"
        );
        assert!(svg.contains("Detractors: 2 (50%)"));
    }
}
