//! `sessionlab analyze` output: a table for people, JSON for programs, and a
//! self-contained HTML page with the per-bit entropy as an inline SVG chart.

use colored::Colorize;
use sessionlab_attack::analyze::{Analysis, Band};
use sessionlab_protocol::escape_html;

/// `--format` of `analyze`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AnalysisFormat {
    /// A summary and the findings, for people at a terminal.
    Table,
    /// One JSON object with every measurement, for programs.
    Json,
    /// A self-contained HTML page (no external assets) with a per-bit entropy chart.
    Html,
}

pub fn render(analysis: &Analysis, format: AnalysisFormat) -> String {
    match format {
        AnalysisFormat::Table => table(analysis),
        AnalysisFormat::Json => format!(
            "{}\n",
            serde_json::to_string_pretty(analysis).expect("the analysis serialises")
        ),
        AnalysisFormat::Html => html(analysis),
    }
}

fn band_word(band: Band) -> String {
    let text = band.as_str().to_uppercase();
    if band.is_weak() {
        text.red().bold().to_string()
    } else {
        text.green().bold().to_string()
    }
}

fn yes(n: usize, of: usize) -> String {
    format!("{n}/{of}")
}

/// Per-bit entropy as one character per bit: `#` passed, `.` failed.
fn bit_map(analysis: &Analysis) -> String {
    analysis
        .bit_passed
        .chunks(64)
        .map(|row| {
            row.iter()
                .map(|&p| if p { '#' } else { '.' })
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("\n    ")
}

fn table(a: &Analysis) -> String {
    let mut out = format!(
        "{} {} token(s) from {}\n",
        "analysed".bold(),
        a.tokens,
        a.source
    );
    out.push_str(&format!(
        "  decoded      {} ({} bits){}; {} distinct{}\n",
        serde_json::to_value(a.encoding)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default(),
        a.bits,
        match a.signed {
            Some(signed) => format!(
                ", signature stripped ({})",
                serde_json::to_value(signed)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default()
            ),
            None => String::new(),
        },
        a.distinct,
        if a.skipped > 0 {
            format!(", {} of another length left out", a.skipped)
        } else {
            String::new()
        }
    ));
    let s = &a.stream;
    out.push_str(&format!(
        "  FIPS 140-2   whole stream, {} block(s) of 20,000 bits: monobit {}, poker {}, runs {}, long run {}\n",
        s.blocks,
        yes(s.monobit, s.blocks),
        yes(s.poker, s.blocks),
        yes(s.runs, s.blocks),
        yes(s.long_run, s.blocks)
    ));
    out.push_str(&format!(
        "  per bit      {} of {} positions pass ({})\n    {}\n",
        a.effective_bits,
        a.bits,
        if a.fips_per_position {
            "FIPS 140-2 on 20,000 tokens"
        } else {
            "monobit and runs at 1%; 20,000 tokens give FIPS 140-2"
        },
        bit_map(a)
    ));
    out.push_str(&format!(
        "  FIPS 140-2   {}\n",
        if a.passes_fips_140_2 {
            "passed: every bit position, and the stream's first 20,000 bits"
                .green()
                .to_string()
        } else if a.fips_per_position {
            "failed".red().to_string()
        } else {
            "not run per bit: it needs 20,000 tokens (-n 20000)".to_string()
        }
    ));
    let chars: f64 = a.char_entropy.iter().sum();
    out.push_str(&format!(
        "  per char     {:.1} bits over {} positions (Shannon, as observed)\n",
        chars,
        a.char_entropy.len()
    ));
    for structure in &a.structures {
        out.push_str(&format!(
            "  {}  {}\n",
            structure.kind.to_uppercase().red().bold(),
            structure.note
        ));
    }
    out.push_str(&format!(
        "  effective    about {} bits\n  verdict      {} {}\n  time         collected in {} ms, analysed in {} ms\n",
        a.effective_bits,
        band_word(a.band),
        a.verdict,
        a.collect_ms,
        a.analyse_ms
    ));
    out
}

/// The per-bit entropy chart: one bar per bit position, its height the
/// bit's Shannon entropy (0 to 1), green where the position passed its tests.
fn chart(a: &Analysis) -> String {
    let bar = 4.0_f64.max(720.0 / a.bits.max(1) as f64).min(12.0);
    let width = bar * a.bits as f64 + 40.0;
    let height = 160.0;
    let mut svg = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0}" height="{:.0}" role="img" aria-label="entropy per bit position">"#,
        height + 30.0
    );
    svg.push_str(&format!(
        r##"<line x1="30" y1="10" x2="30" y2="{y:.0}" stroke="#333"/><line x1="30" y1="{y:.0}" x2="{width:.0}" y2="{y:.0}" stroke="#333"/><text x="0" y="16" font-size="10">1.0</text><text x="0" y="{y:.0}" font-size="10">0</text>"##,
        y = height + 10.0
    ));
    for (i, (&h, &passed)) in a.bit_entropy.iter().zip(&a.bit_passed).enumerate() {
        let bar_height = h * height;
        svg.push_str(&format!(
            r#"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{}"><title>bit {i}: {h:.3}{}</title></rect>"#,
            31.0 + i as f64 * bar,
            10.0 + height - bar_height,
            (bar - 1.0).max(1.0),
            bar_height,
            if passed { "#2e7d32" } else { "#c62828" },
            if passed { ", passed" } else { ", failed" }
        ));
    }
    svg.push_str(&format!(
        r#"<text x="30" y="{:.0}" font-size="10">bit position 0 … {} (green: passed its tests, red: failed)</text></svg>"#,
        height + 26.0,
        a.bits.saturating_sub(1)
    ));
    svg
}

fn html(a: &Analysis) -> String {
    let structures: String = a
        .structures
        .iter()
        .map(|s| {
            format!(
                "<li><strong>{}</strong>: {}</li>",
                s.kind,
                escape_html(&s.note)
            )
        })
        .collect();
    format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>sessionlab analyze: {source}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}}.weak{{color:#c62828}}.strong{{color:#2e7d32}}td,th{{padding:.2rem .6rem;text-align:left}}</style>
</head><body>
<h1>Session ID analysis</h1>
<p>{tokens} token(s) from {source}; decoded length {bits} bits; {distinct} distinct.</p>
<p class="{class}"><strong>{band}</strong>: {verdict}</p>
<h2>Entropy per bit</h2>
{chart}
<h2>Tests</h2>
<table>
<tr><th>effective entropy</th><td>about {effective} bits</td></tr>
<tr><th>per bit position</th><td>{effective} of {bits} pass ({per_bit})</td></tr>
<tr><th>FIPS 140-2, whole stream</th><td>{blocks} block(s): monobit {m}, poker {p}, runs {r}, long run {l}</td></tr>
<tr><th>per character</th><td>{chars:.1} bits over {positions} positions</td></tr>
</table>
{structures_block}
<p>Collected in {collect} ms, analysed in {analyse} ms. Made by <code>sessionlab analyze</code>.</p>
</body></html>
"#,
        source = escape_html(&a.source),
        tokens = a.tokens,
        bits = a.bits,
        distinct = a.distinct,
        class = if a.band.is_weak() { "weak" } else { "strong" },
        band = a.band.as_str(),
        verdict = escape_html(&a.verdict),
        chart = chart(a),
        effective = a.effective_bits,
        per_bit = if a.fips_per_position {
            "FIPS 140-2"
        } else {
            "monobit and runs at 1%"
        },
        blocks = a.stream.blocks,
        m = yes(a.stream.monobit, a.stream.blocks),
        p = yes(a.stream.poker, a.stream.blocks),
        r = yes(a.stream.runs, a.stream.blocks),
        l = yes(a.stream.long_run, a.stream.blocks),
        chars = a.char_entropy.iter().sum::<f64>(),
        positions = a.char_entropy.len(),
        structures_block = if structures.is_empty() {
            "<p>No counter or timestamp found in the decoded IDs.</p>".to_string()
        } else {
            format!("<h2>Structure</h2><ul>{structures}</ul>")
        },
        collect = a.collect_ms,
        analyse = a.analyse_ms,
    )
}
