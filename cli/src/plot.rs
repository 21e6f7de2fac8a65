//! `--plot`: one timeline per episode, drawn with plotters' SVG backend.
//!
//! Each panel answers "what happened here" from the picture alone: the probed side's advertised
//! window over time (a step line), where it closed and reopened (vertical lines), every probe
//! (filled red circle, or hollow when unanswered) labelled with its number, the interval since
//! the previous probe and the ratio to the interval before (a persist timer doubles: ×2), every
//! reply (green square, joined to its probe), the RST or FIN that ended it, and below, what the
//! timing is consistent with.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use tcpprobe_core::{EndCause, EpisodeKind};

use crate::analyze::{EpisodeRecord, Summary};
use crate::report::{endpoint, headline, note_texts, rel};

const WIDTH: u32 = 1100;
const PANEL: u32 = 460;
/// Most episodes drawn in one file; the rest are left out (the report lists them all).
pub const MAX_PANELS: usize = 60;

const PROBE: RGBColor = RGBColor(0xd6, 0x27, 0x28);
const REPLY: RGBColor = RGBColor(0x2c, 0xa0, 0x2c);
const WINDOW: RGBColor = RGBColor(0x1f, 0x77, 0xb4);
const CLOSED: RGBColor = RGBColor(0xff, 0x7f, 0x0e);
const END: RGBColor = RGBColor(0x40, 0x40, 0x40);

/// Draws every episode of every file (name, summary) into one SVG document.
pub fn svg(files: &[(&str, &Summary)]) -> Result<String, String> {
    let panels: Vec<(&str, &Summary, &EpisodeRecord)> = files
        .iter()
        .flat_map(|(name, s)| s.episodes.iter().map(move |r| (*name, *s, r)))
        .take(MAX_PANELS)
        .collect();
    let mut buf = String::new();
    {
        let height = PANEL * panels.len().max(1) as u32;
        let root = SVGBackend::with_string(&mut buf, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        if panels.is_empty() {
            root.draw(&Text::new(
                "no zero-window episodes and no keep-alives",
                (20, 20),
                ("sans-serif", 16).into_font(),
            ))
            .map_err(|e| e.to_string())?;
        }
        let areas = root.split_evenly((panels.len().max(1), 1));
        for ((name, s, r), area) in panels.iter().zip(areas.iter()) {
            panel(area, name, s, r).map_err(|e| e.to_string())?;
        }
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(buf)
}

/// Wraps an SVG document in a minimal HTML page (for `--plot FILE.html`).
pub fn html(svg: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>tcpprobe</title></head>\n\
         <body style=\"margin:0\">\n{svg}\n</body></html>\n"
    )
}

type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;

fn panel(
    area: &Area<'_>,
    name: &str,
    s: &Summary,
    r: &EpisodeRecord,
) -> Result<(), DrawingAreaErrorKind<std::io::Error>> {
    let ep = &r.episode;
    let notes = note_texts(s, r);
    let notes_h = 22 + 16 * notes.len() as u32;
    let (top, bottom) = area.split_vertically(PANEL - notes_h);

    // Time span: from the window closing (or a little before the first probe) to the end.
    let start = ep
        .window_closed_at
        .unwrap_or(ep.first_probe_at)
        .min(r.window.first().map_or(ep.first_probe_at, |w| w.time));
    let end = ep
        .end
        .map_or(s.capture_end, |e| e.time)
        .max(r.window.last().map_or(ep.last_packet_at, |w| w.time))
        .max(ep.last_packet_at);
    let (x0, x1) = (rel(s, start), rel(s, end));
    let pad = ((x1 - x0) * 0.05).max(0.01);
    // More room on the right: the reopened window, and the labels of what ended the episode.
    let (x0, x1) = (x0 - pad, x1 + 3.0 * pad);
    let ymax = r.window.iter().map(|w| w.window).max().unwrap_or(0).max(1) as f64 * 1.35;
    let lane_probe = ymax * 0.06;
    let lane_reply = ymax * 0.16;

    let name = std::path::Path::new(name)
        .file_name()
        .map_or(name.into(), |n| n.to_string_lossy());
    let caption = format!(
        "{name}: {} ({} probing {})",
        headline(s, r),
        endpoint(&r.prober),
        endpoint(&r.probed)
    );
    let mut chart = ChartBuilder::on(&top)
        .caption(caption, ("sans-serif", 15).into_font())
        .margin(12)
        .x_label_area_size(38)
        .y_label_area_size(80)
        .build_cartesian_2d(x0..x1, 0f64..ymax)?;
    chart
        .configure_mesh()
        .x_desc("seconds since the capture began")
        .y_desc(format!("{}'s window (bytes)", endpoint(&r.probed)))
        .light_line_style(WHITE.mix(0.0))
        .y_label_formatter(&|y| format!("{y:.0}"))
        .x_label_formatter(&|x| format!("{x:.3}"))
        .draw()?;

    // The probed side's advertised window, as steps.
    let mut steps: Vec<(f64, f64)> = Vec::new();
    for w in &r.window {
        let (x, y) = (rel(s, w.time), w.window as f64);
        if let Some(&(_, py)) = steps.last() {
            steps.push((x, py));
        }
        steps.push((x, y));
    }
    if let Some(&(_, y)) = steps.last() {
        steps.push((x1, y));
    }
    chart
        .draw_series(LineSeries::new(steps, WINDOW.stroke_width(2)))?
        .label("advertised window")
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], WINDOW.stroke_width(2)));

    let small = ("sans-serif", 12).into_font();
    // A vertical line with its label at height `h` (a fraction of the axis), left of the line
    // in the right half of the panel so that it stays inside.
    let vline = |x: f64, color: RGBColor, label: String, h: f64| {
        let right_half = x > (x0 + x1) / 2.0;
        let pos = if right_half {
            Pos::new(HPos::Right, VPos::Top)
        } else {
            Pos::new(HPos::Left, VPos::Top)
        };
        let label = if right_half {
            format!("{} ", label.trim())
        } else {
            format!(" {}", label.trim())
        };
        (
            PathElement::new(vec![(x, 0.0), (x, ymax * 0.97)], color.stroke_width(2)),
            Text::new(label, (x, ymax * h), small.clone().color(&color).pos(pos)),
        )
    };
    if let (Some(f), Some(t)) = (ep.window_closed_in, ep.window_closed_at) {
        let (l, t) = vline(
            rel(s, t),
            CLOSED,
            format!("window closed (frame {f})"),
            0.97,
        );
        chart.draw_series(std::iter::once(l))?;
        chart.draw_series(std::iter::once(t))?;
    }
    if let Some(e) = ep.end {
        let (color, what) = match e.cause {
            EndCause::WindowReopened => (REPLY, "window reopened".to_string()),
            c => (END, c.description().to_string()),
        };
        let (l, t) = vline(
            rel(s, e.time),
            color,
            format!("{what} (frame {})", e.packet),
            0.97,
        );
        chart.draw_series(std::iter::once(l))?;
        chart.draw_series(std::iter::once(t))?;
    }
    // RST and FIN seen while the episode was open that did not end it.
    for (i, m) in r.marks.iter().enumerate() {
        if ep.end.is_some_and(|e| e.packet == m.frame) {
            continue;
        }
        let who = if m.from_prober {
            "prober"
        } else {
            "probed side"
        };
        let what = if m.rst { "RST" } else { "FIN" };
        let (l, t) = vline(
            rel(s, m.time),
            END,
            format!("{what} from the {who} (frame {})", m.frame),
            0.89 - 0.08 * (i % 3) as f64,
        );
        chart.draw_series(std::iter::once(l))?;
        chart.draw_series(std::iter::once(t))?;
    }

    // Replies first, joined to their probes, so that the probes are drawn on top.
    for p in &r.probes {
        if let Some(at) = p.answered_at {
            let (px, rx) = (rel(s, p.time), rel(s, at));
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(px, lane_probe), (rx, lane_reply)],
                REPLY.mix(0.6),
            )))?;
            chart.draw_series(std::iter::once(Rectangle::new(
                [
                    (rx - (x1 - x0) * 0.003, lane_reply - ymax * 0.012),
                    (rx + (x1 - x0) * 0.003, lane_reply + ymax * 0.012),
                ],
                REPLY.filled(),
            )))?;
        }
    }
    let probe_word = match ep.kind {
        EpisodeKind::ZeroWindow => "probe",
        EpisodeKind::KeepAlive => "keep-alive",
    };
    for (i, p) in r.probes.iter().enumerate() {
        let x = rel(s, p.time);
        let style = if p.answered_in.is_some() {
            PROBE.filled()
        } else {
            PROBE.stroke_width(2)
        };
        chart.draw_series(std::iter::once(Circle::new((x, lane_probe), 6, style)))?;
        let mut label = format!("#{}", p.number);
        if let Some(n) = p.since_previous_ns {
            let _ =
                std::fmt::Write::write_fmt(&mut label, format_args!(" +{:.3}s", n as f64 / 1e9));
        }
        if let Some(m) = p.interval_ratio_milli {
            let _ =
                std::fmt::Write::write_fmt(&mut label, format_args!(" x{:.2}", m as f64 / 1000.0));
        }
        if p.answered_in.is_none() {
            label.push_str(match p.unanswered {
                Some(tcpprobe_core::Unanswered::RateLimited) => " no reply (rate limit)",
                Some(tcpprobe_core::Unanswered::NoReply) => " no reply",
                None => "",
            });
        }
        // Labels alternate between three heights so that close probes stay readable.
        let y = ymax * (0.28 + 0.09 * (i % 3) as f64);
        chart.draw_series(std::iter::once(Text::new(
            label,
            (x, y),
            small.clone().color(&PROBE),
        )))?;
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(x, lane_probe), (x, y - ymax * 0.02)],
            PROBE.mix(0.25),
        )))?;
    }
    chart
        .draw_series(std::iter::empty::<Circle<(f64, f64), i32>>())?
        .label(format!(
            "{probe_word} (hollow: unanswered); label: number, interval, ratio"
        ))
        .legend(|(x, y)| Circle::new((x + 9, y), 5, PROBE.filled()));
    chart
        .draw_series(std::iter::empty::<Rectangle<(f64, f64)>>())?
        .label("reply from the probed side")
        .legend(|(x, y)| Rectangle::new([(x + 5, y - 4), (x + 13, y + 4)], REPLY.filled()));
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperMiddle)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.3))
        .label_font(small.clone())
        .draw()?;

    // What the timing is consistent with.
    let text = ("sans-serif", 13).into_font();
    bottom.draw(&Text::new(
        "consistent with:".to_string(),
        (90, 4),
        text.clone(),
    ))?;
    for (i, n) in notes.iter().enumerate() {
        bottom.draw(&Text::new(
            format!("- {n}"),
            (104, 22 + 16 * i as i32),
            text.clone(),
        ))?;
    }
    Ok(())
}
