//! The report of a benchmark run: per-program medians and ratios, the geomeans, cold
//! start, compile time and sizes, as Markdown and JSON.

use super::*;

/// Which geomean a program counts in.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Group {
    Scalar,
    Simd,
    Exceptions,
}

impl Group {
    fn of(name: &str, simd: bool) -> Group {
        if simd {
            Group::Simd
        } else if name.starts_with(EXCEPTIONS_PREFIX) {
            Group::Exceptions
        } else {
            Group::Scalar
        }
    }

    const ALL: [(Group, &'static str, &'static str); 3] = [
        (Group::Scalar, "geomean", "geomean"),
        (Group::Simd, "SIMD geomean", "simd_geomean"),
        (
            Group::Exceptions,
            "exceptions geomean",
            "exceptions_geomean",
        ),
    ];
}
pub(super) struct Report {
    pub(super) measured: Vec<Measured>,
    pub(super) cold: ColdStart,
    pub(super) compile: CompileTimes,
    pub(super) sizes: Vec<Size>,
    pub(super) rounds: usize,
    pub(super) wasmtime_version: String,
    pub(super) wasmtime_source: String,
}

pub(super) fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

pub(super) fn seconds(samples: &[Sample]) -> Vec<f64> {
    samples.iter().map(|s| s.wall.as_secs_f64()).collect()
}

/// Median of the per-round ratios a/b.
pub(super) fn ratio(a: &[Sample], b: &[Sample]) -> f64 {
    let mut ratios: Vec<f64> = a
        .iter()
        .zip(b)
        .map(|(x, y)| x.wall.as_secs_f64() / y.wall.as_secs_f64())
        .collect();
    median(&mut ratios)
}

/// Interquartile range / median of a runner's rounds (robust to one disturbed round).
pub(super) fn spread(samples: &[Sample]) -> f64 {
    let mut s = seconds(samples);
    let m = median(&mut s);
    let quartile = |q: f64| s[((s.len() - 1) as f64 * q).round() as usize];
    (quartile(0.75) - quartile(0.25)) / m
}

pub(super) fn geomean(values: impl Iterator<Item = f64>) -> f64 {
    let (sum, n) = values.fold((0.0, 0), |(s, n), v| (s + v.ln(), n + 1));
    (sum / n as f64).exp()
}

pub(super) fn max_rss(samples: &[Sample]) -> u64 {
    samples.iter().map(|s| s.max_rss_kib).max().unwrap_or(0)
}

pub(super) struct Row<'a> {
    name: &'a str,
    language: &'a str,
    group: Group,
    wasm_bytes: u64,
    medians: [f64; 3],
    kiln_vs_wasmtime: f64,
    kiln_vs_native: f64,
    wasmtime_vs_native: f64,
    spreads: [f64; 3],
    rss_kib: [u64; 3],
}

impl Report {
    fn rows(&self) -> Vec<Row<'_>> {
        self.measured
            .iter()
            .map(|m| {
                let [k, w, n] = &m.samples;
                Row {
                    name: &m.program.name,
                    language: m.program.language,
                    group: Group::of(&m.program.name, m.program.simd),
                    wasm_bytes: fs::metadata(&m.program.wasm).map(|d| d.len()).unwrap_or(0),
                    medians: [k, w, n].map(|s| median(&mut seconds(s))),
                    kiln_vs_wasmtime: ratio(k, w),
                    kiln_vs_native: ratio(k, n),
                    wasmtime_vs_native: ratio(w, n),
                    spreads: [k, w, n].map(|s| spread(s)),
                    rss_kib: [k, w, n].map(|s| max_rss(s)),
                }
            })
            .collect()
    }

    /// Geomeans of kiln/wasmtime, kiln/native and wasmtime/native over the
    /// SIMD programs (`simd`) or the others; `None` when there are none.
    fn geomeans(rows: &[Row], group: Group) -> Option<[f64; 3]> {
        let group: Vec<&Row> = rows.iter().filter(|r| r.group == group).collect();
        if group.is_empty() {
            return None;
        }
        Some([
            geomean(group.iter().map(|r| r.kiln_vs_wasmtime)),
            geomean(group.iter().map(|r| r.kiln_vs_native)),
            geomean(group.iter().map(|r| r.wasmtime_vs_native)),
        ])
    }

    fn cold_medians(&self) -> Vec<(String, f64)> {
        self.cold
            .rows
            .iter()
            .map(|(label, s)| (label.clone(), median(&mut seconds(s)) * 1000.0))
            .collect()
    }

    fn compile_medians(&self) -> (f64, f64) {
        let m =
            |d: &[Duration]| median(&mut d.iter().map(Duration::as_secs_f64).collect::<Vec<_>>());
        (m(&self.compile.kiln), m(&self.compile.wasmtime))
    }

    pub(super) fn markdown(&self) -> String {
        let rows = self.rows();
        let mut out = String::new();
        let _ = writeln!(out, "# Kiln benchmark results\n");
        let _ = writeln!(
            out,
            "{} rounds per program, runners interleaved; times are medians in seconds; \
             ratios are medians of the per-round ratios (lower is faster for kiln). \
             Spread = interquartile range / median over the rounds. Peak RSS in MiB. \
             Machine: {} cores, {}. Peer: `{}` ({}). The geomean covers the scalar \
             programs; the exceptions geomean the `{EXCEPTIONS_PREFIX}*` programs (wasm \
             exceptions thrown and caught); the SIMD geomean the `{SIMD_GLOB}` programs, built for wasm with \
             SIMD and natively with the host's SIMD{}, and run by all three at that one \
             CPU level (kiln `--cpu baseline`; wasmtime with the extensions past it \
             switched off).\n",
            self.rounds,
            std::thread::available_parallelism().map_or(0, |n| n.get()),
            std::env::consts::ARCH,
            self.wasmtime_version,
            self.wasmtime_source,
            match native_simd_cflags() {
                [] => String::new(),
                flags => format!(" ({})", flags.join(" ")),
            }
        );
        let _ = writeln!(
            out,
            "| program | lang | wasm KiB | kiln s | wasmtime s | native s | kiln/wasmtime | kiln/native | wasmtime/native | spread k/w/n | RSS MiB k/w/n |"
        );
        let _ = writeln!(out, "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
        for r in &rows {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} | {:.0}%/{:.0}%/{:.0}% | {:.0}/{:.0}/{:.0} |",
                r.name,
                if r.group == Group::Simd {
                    format!("{}, SIMD", r.language)
                } else {
                    r.language.to_string()
                },
                r.wasm_bytes / 1024,
                r.medians[0],
                r.medians[1],
                r.medians[2],
                r.kiln_vs_wasmtime,
                r.kiln_vs_native,
                r.wasmtime_vs_native,
                r.spreads[0] * 100.0,
                r.spreads[1] * 100.0,
                r.spreads[2] * 100.0,
                r.rss_kib[0] as f64 / 1024.0,
                r.rss_kib[1] as f64 / 1024.0,
                r.rss_kib[2] as f64 / 1024.0,
            );
        }
        for (group, label, _) in Group::ALL {
            if let Some([kw, kn, wn]) = Self::geomeans(&rows, group) {
                let _ = writeln!(
                    out,
                    "| **{label}** | | | | | | **{kw:.3}** | **{kn:.3}** | **{wn:.3}** | | |"
                );
            }
        }
        let _ = writeln!(out);
        let mut native_spreads: Vec<f64> = rows.iter().map(|r| r.spreads[2]).collect();
        if !native_spreads.is_empty() {
            let _ = writeln!(
                out,
                "Noise: the native builds' spread over rounds has a median of {:.1}% \
                 (the same binary, run back to back).\n",
                median(&mut native_spreads) * 100.0
            );
        }
        let _ = writeln!(
            out,
            "## Cold start (exec to exit of hello world, median of {} interleaved runs)\n",
            self.cold.runs
        );
        let _ = writeln!(out, "| runner | ms |\n|---|--:|");
        let cold = self.cold_medians();
        for (label, ms) in &cold {
            let _ = writeln!(out, "| {label} | {ms:.3} |");
        }
        if let [(_, kiln), (_, wasmtime), _] = cold.as_slice() {
            let _ = writeln!(out, "\nwasmtime / kiln: {:.1}×\n", wasmtime / kiln);
        }
        let (kiln, wasmtime) = self.compile_medians();
        let _ = writeln!(
            out,
            "## Compile time: {} ({:.1} MB), median of 5\n\n| command | s |\n|---|--:|\n\
             | kiln compile (including the link) | {kiln:.2} |\n| wasmtime compile | {wasmtime:.2} |\n\n\
             kiln / wasmtime: {:.2}\n",
            self.compile.module,
            self.compile.module_bytes as f64 / 1e6,
            kiln / wasmtime
        );
        let _ = writeln!(
            out,
            "## Executable size\n\n| executable | bytes | stripped |\n|---|--:|--:|"
        );
        for s in &self.sizes {
            let _ = writeln!(out, "| {} | {} | {} |", s.what, s.bytes, s.stripped);
        }
        out
    }

    pub(super) fn json(&self) -> String {
        let rows = self.rows();
        let mut out = String::from("{\n  \"programs\": [\n");
        for (i, r) in rows.iter().enumerate() {
            let _ = writeln!(
                out,
                "    {{\"name\": \"{}\", \"language\": \"{}\", \"simd\": {}, \"wasm_bytes\": {}, \
                 \"median_seconds\": {{\"kiln\": {:.6}, \"wasmtime\": {:.6}, \"native\": {:.6}}}, \
                 \"ratio\": {{\"kiln_wasmtime\": {:.4}, \"kiln_native\": {:.4}, \"wasmtime_native\": {:.4}}}, \
                 \"spread\": {{\"kiln\": {:.4}, \"wasmtime\": {:.4}, \"native\": {:.4}}}, \
                 \"max_rss_kib\": {{\"kiln\": {}, \"wasmtime\": {}, \"native\": {}}}}}{}",
                r.name,
                r.language,
                r.group == Group::Simd,
                r.wasm_bytes,
                r.medians[0],
                r.medians[1],
                r.medians[2],
                r.kiln_vs_wasmtime,
                r.kiln_vs_native,
                r.wasmtime_vs_native,
                r.spreads[0],
                r.spreads[1],
                r.spreads[2],
                r.rss_kib[0],
                r.rss_kib[1],
                r.rss_kib[2],
                if i + 1 < rows.len() { "," } else { "" }
            );
        }
        let geomean_json = |group: Group| {
            match Self::geomeans(&rows, group) {
            Some([kw, kn, wn]) => format!(
                "{{\"kiln_wasmtime\": {kw:.4}, \"kiln_native\": {kn:.4}, \"wasmtime_native\": {wn:.4}}}"
            ),
            None => "null".to_string(),
        }
        };
        let _ = writeln!(
            out,
            "  ],\n  \"rounds\": {},\n  \"wasmtime\": {{\"version\": \"{}\", \"source\": \"{}\"}},",
            self.rounds, self.wasmtime_version, self.wasmtime_source,
        );
        for (group, _, key) in Group::ALL {
            let _ = writeln!(out, "  \"{key}\": {},", geomean_json(group));
        }
        let cold: Vec<String> = self
            .cold_medians()
            .iter()
            .map(|(label, ms)| format!("{{\"runner\": \"{label}\", \"median_ms\": {ms:.4}}}"))
            .collect();
        let _ = writeln!(out, "  \"cold_start\": [{}],", cold.join(", "));
        let (kiln, wasmtime) = self.compile_medians();
        let _ = writeln!(
            out,
            "  \"compile\": {{\"module\": \"{}\", \"module_bytes\": {}, \"kiln_seconds\": {kiln:.4}, \"wasmtime_seconds\": {wasmtime:.4}}},",
            self.compile.module, self.compile.module_bytes
        );
        let sizes: Vec<String> = self
            .sizes
            .iter()
            .map(|s| {
                format!(
                    "{{\"executable\": \"{}\", \"bytes\": {}, \"stripped_bytes\": {}}}",
                    s.what, s.bytes, s.stripped
                )
            })
            .collect();
        let _ = writeln!(out, "  \"sizes\": [{}]\n}}", sizes.join(", "));
        out
    }
}
