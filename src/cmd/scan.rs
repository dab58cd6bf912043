//! `trailsift scan`: read a dump, write the reports.
//!
//! The stages, in order: discover the inputs (sorted on disk), read them a batch at a time in
//! parallel (events go to the collector as they are found), resolve and deduplicate the
//! events, stream them in report order into events.csv (and the exports), the timelines' sort
//! and the actors' histories; then write the timelines and users beside the findings, and the
//! manifest beside both (with `--verify`, the integrity check runs beside everything from the
//! events to the timelines, and the manifest, which needs it, follows it); then the exports that need the findings, the workbook, and the run's record; then put the set in
//! place. Every stage goes through external sorts ([`crate::spill`]) in the run's staging
//! directory, so memory stays bounded whatever the size of the dump.

use std::sync::Arc;
use std::time::Instant;

use crate::aggregate::FileTally;
use crate::aggregate::{self, Collector, Deduplicated, Reported};
use crate::cancel::Cancel;
use crate::config::Config;
use crate::discover::{self, InputFile};
use crate::error::Error;
use crate::findings::history::Histories;
use crate::findings::{self, Calls, Finding};
use crate::integrity::{self, Evidence};
use crate::known;
use crate::outdir::OutputDir;
use crate::progress::Progress;
use crate::report::digest::FileDigest;
use crate::report::run_record::{COMMIT, ReportFile, RunRecord, Timing};
use crate::report::timesketch::{self, Tag};
use crate::report::{self, Formats, Table, html, jsonl, workbook};
use crate::scan::file::{FileReport, Status as FileStatus};
use crate::scan::{Reading, Scanner};
use crate::spill::{Merged, Sorter, SpillDir};
use crate::summary::Summary;
use crate::terminal::escape;

/// Runs a scan: reads every input, writes the reports, returns the summary.
pub fn run(config: &Config, cancel: &Cancel) -> Result<Summary, Error> {
    let started = Instant::now();
    let started_at = chrono::Utc::now();
    let started_text = crate::event::time::format(&started_at);
    if !discover::any_file(&config.paths) {
        let paths: Vec<String> = config
            .paths
            .iter()
            .map(|p| escape(&discover::display_path(p)).into_owned())
            .collect();
        return Err(Error::NoInput(paths.join(", ")));
    }
    let mut out = OutputDir::open(
        &config.out,
        config.force,
        &config.command.join(" "),
        &started_text,
    )?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(config.threads)
        .build()
        .map_err(|e| Error::Threads(e.to_string()))?;
    let spill = SpillDir::with_cancel(out.staging(), config.sort_memory, cancel.clone());
    let formats = config.formats;
    let targets = formats.targets();
    let mut found = pool.install(|| discover::discover(&config.paths, &spill, Some(out.path())))?;
    let progress = Progress::new(found.bytes, !config.quiet);

    // Read the files a batch at a time: the events go to the collector, the per-file results
    // to problems.csv (in path order already) and to the manifest's sort.
    let collector = Collector::new(&spill, &config.selection);
    let mut problems_table = Table::create(
        &mut out,
        report::problems::NAME,
        &report::problems::HEADER,
        &targets,
        cancel,
    )?;
    let mut manifest_rows = Sorter::new(&spill, report::manifest::order);
    let mut summary = Summary::default();
    let mut first = 0u32;
    let mut page_inputs = html::gather::Inputs::default();
    // With --verify, each file's hash or digest goes to the integrity check as it is read.
    let evidence = config.integrity.as_ref().map(|_| Evidence::new(&spill));
    let reading = Reading {
        selection: &config.selection,
        progress: &progress,
        collect: &collector,
        keep_records: formats.jsonl,
        cancel,
        evidence: evidence.as_ref(),
    };
    let prefilter = config.selection.prefilter();
    let scanner = Scanner::new(
        config.threads,
        &config.selection,
        &prefilter,
        formats.jsonl,
        evidence.is_some(),
        cancel,
    );
    let reading_started = std::time::Instant::now();
    // While the threads read one batch, the batch before it is booked (problems.csv, the
    // summary, the manifest's sort) and the next one taken from the walk's sort, so that no
    // serial step sits between two batches.
    let mut batch: Vec<InputFile> = Vec::with_capacity(config.file_batch);
    found.next_files(&mut batch, config.file_batch)?;
    let mut read: Option<(Vec<InputFile>, Vec<FileReport>)> = None;
    while !batch.is_empty() || read.is_some() {
        let mut book =
            |read: Option<(Vec<InputFile>, Vec<FileReport>)>| -> Result<Vec<InputFile>, Error> {
                if let Some((files, reports)) = read {
                    for (file, r) in files.iter().zip(reports) {
                        if matches!(r.status, FileStatus::Partial | FileStatus::Unreadable) {
                            page_inputs.add(&file.display, r.status.as_str(), &r.error);
                        }
                        report::problems::rows(&mut problems_table, file, &r)?;
                        summary.add_file(file, &r);
                        manifest_rows.push(report::manifest::Row::file(file, &r))?;
                    }
                }
                let mut next = Vec::with_capacity(config.file_batch);
                if !batch.is_empty() {
                    found.next_files(&mut next, config.file_batch)?;
                }
                Ok(next)
            };
        let previous = read.take();
        let (reports, next) = pool.install(|| {
            rayon::join(
                || (!batch.is_empty()).then(|| scanner.scan_all(&batch, first, &reading)),
                || book(previous),
            )
        });
        let next = next?;
        cancel.check()?;
        if let Some(reports) = reports {
            first += batch.len() as u32;
            read = Some((std::mem::replace(&mut batch, next), reports));
        } else {
            batch = next;
        }
    }
    while let Some(w) = found.next_problem()? {
        if !w.skipped {
            page_inputs.add(&w.display, "unreadable", &w.message);
        }
        summary.add_walk_problem(&w);
        manifest_rows.push(report::manifest::Row::walk(&w))?;
    }
    let mut manifest_rows = Some(manifest_rows);
    let timing = Timing::new(reading_started.elapsed(), scanner.busy_seconds());
    drop(scanner);
    let mut digests: Vec<(String, FileDigest)> = Vec::new();
    digests.extend(problems_table.close()?);
    // With --verify, the integrity check (verify.csv, gaps.csv, each file's status) runs beside
    // the events, the findings and the timelines, which do not depend on it; the manifest,
    // which needs both the check and the events' tallies, is written after them.
    let checking = match (evidence, &config.integrity) {
        (Some(evidence), Some(given)) => {
            let targets = report::Targets {
                csv: true,
                workbook: false,
            };
            let tables = crate::cmd::verify::Tables::create(&mut out, &targets, cancel)?;
            Some((evidence, given, tables))
        }
        _ => None,
    };
    let verifying = checking.is_some();
    let check_integrity = || -> Result<_, Error> {
        let Some((evidence, given, tables)) = checking else {
            return Ok(None);
        };
        let outcome = integrity::check(evidence, &given.keys, &given.signatures, &spill)?;
        let mut statuses = Statuses(Sorter::new(&spill, report::manifest::integrity_order));
        let (verdict, written) = tables.write(outcome, &mut statuses)?;
        Ok(Some((
            verdict,
            given.keys.len(),
            written,
            statuses.0.finish()?,
        )))
    };
    // With --verify, the phases after the reading are named for both lines of work: the check
    // ends in one of them.
    let phase = |plain: &'static str, checking: &'static str| {
        progress.phase(if verifying { checking } else { plain });
    };
    let mut page_events = formats.html.then(html::gather::Events::default);
    let events_pass = || -> Result<_, Error> {
        phase(
            "sorting the events",
            "sorting the events, checking integrity",
        );
        let Deduplicated {
            archive,
            events,
            tallies,
        } = aggregate::build(collector, &spill)?;
        let names = config.event_names(archive.names.iter().map(String::as_str));

        // events.csv and the exports are written as the archive streams by, feeding the
        // timeline's sort and the actors' histories.
        phase(
            "writing the events",
            "writing the events, checking integrity",
        );
        let users_header = report::users::header(&names);
        let users_header: Vec<&str> = users_header.iter().map(String::as_str).collect();
        let events_table = Table::create(
            &mut out,
            report::events::NAME,
            &report::events::HEADER,
            &targets,
            cancel,
        )?;
        let tables = LaterTables {
            timeline: Table::create(
                &mut out,
                report::timeline::NAME,
                &report::timeline::HEADER,
                &targets,
                cancel,
            )?,
            users: Table::create(
                &mut out,
                report::users::NAME,
                &users_header,
                &targets,
                cancel,
            )?,
            findings: Table::create(
                &mut out,
                report::findings::NAME,
                &report::findings::HEADER,
                &targets,
                cancel,
            )?,
            manifest: Table::create(
                &mut out,
                report::manifest::NAME,
                &report::manifest::header(verifying),
                &targets,
                cancel,
            )?,
        };
        let json_lines = if formats.jsonl {
            Some(jsonl::Writer::create(&mut out)?)
        } else {
            None
        };
        let streamed = stream_events(
            events,
            events_table,
            json_lines,
            &names,
            &spill,
            &formats,
            page_events.as_mut(),
        )?;
        Ok((archive, tallies, names, tables, streamed))
    };
    // Everything from the events to the timelines: the integrity check needs none of it, and
    // runs beside all of it.
    let want_tags = formats.timesketch;
    let reports_pass = || -> Result<_, Error> {
        let (archive, tallies, names, tables, streamed) = events_pass()?;
        let LaterTables {
            timeline: timeline_table,
            users: users_table,
            findings: findings_table,
            manifest: manifest_table,
        } = tables;
        let Streamed {
            per_name,
            entries,
            calls,
            replay,
            digests: written,
        } = streamed;

        phase("findings", "findings, checking integrity");
        let Histories {
            members,
            for_rules,
            for_users,
        } = calls.finish()?;
        phase(
            "writing timelines and findings",
            "writing timelines and findings, checking integrity",
        );
        // The findings, counted; findings.csv's rows are still being written on a thread of
        // their own when this returns.
        let findings_pass = || -> Result<(FindingsDone<'_>, report::findings::Writing), Error> {
            let found = findings::run(members, for_rules, config.findings, &spill)?;
            let mut watch = FindingsWatcher {
                tags: want_tags.then(|| Sorter::new(&spill, timesketch::tag_order)),
                page: formats.html.then(html::gather::Findings::default),
            };
            let (tally, writing) =
                report::findings::write(findings_table, found, &spill, &mut watch)?;
            let per_rule = tally.per_rule();
            let flagged = tally.top_users(html::gather::MAX_FLAGGED_LANES.max(TOP_USERS))?;
            let done = FindingsDone {
                per_rule,
                flagged,
                digest: None,
                tags: watch.tags,
                page: watch.page,
            };
            Ok((done, writing))
        };
        let timeline_pass = |watcher: &mut dyn report::timeline::Watcher| {
            entries.finish().and_then(|entries| {
                report::timeline::write(
                    timeline_table,
                    users_table,
                    entries,
                    for_users,
                    &names,
                    watcher,
                )
            })
        };
        // The page's lanes need the flagged users: with it, the timelines wait for the findings
        // to be counted (not for findings.csv to be written).
        let findings_and_timelines = || -> Result<_, Error> {
            if formats.html {
                let (mut done, writing) = findings_pass()?;
                let keep = done.page.as_ref().map(html::Page::keep).unwrap_or_default();
                let mut lanes = html::gather::Lanes::new(&done.flagged, keep);
                let people = timeline_pass(&mut lanes);
                done.digest = writing.finish()?;
                let people = people?;
                lanes.finish();
                Ok((people, done, Some(lanes)))
            } else {
                let (people, done) = rayon::join(
                    || timeline_pass(&mut report::timeline::Nobody),
                    || {
                        let (mut done, writing) = findings_pass()?;
                        done.digest = writing.finish()?;
                        Ok::<_, Error>(done)
                    },
                );
                Ok((people?, done?, None))
            }
        };
        // The manifest needs each file's integrity status: with --verify it is written once
        // the check is done; without, beside the findings.
        let (manifest, reported) = if verifying {
            let reported = findings_and_timelines()?;
            (
                Manifest::Waiting(Box::new((manifest_table, tallies))),
                reported,
            )
        } else {
            let rows = manifest_rows.take().expect("the manifest is written once");
            let (listed, reported) = rayon::join(
                move || write_manifest(manifest_table, rows, tallies, None),
                findings_and_timelines,
            );
            (Manifest::Written(listed?), reported?)
        };
        Ok((
            archive, names, per_name, replay, written, manifest, reported,
        ))
    };
    let (checked, reported) = pool.install(|| rayon::join(check_integrity, reports_pass));
    let (archive, names, per_name, replay, written, manifest, reported) = reported?;
    digests.extend(written);
    let integrity = match checked? {
        Some((verdict, keys, written, statuses)) => {
            digests.extend(written);
            summary.integrity = Some((verdict, keys));
            Some(statuses)
        }
        None => None,
    };
    match manifest {
        Manifest::Written(listed) => digests.extend(listed),
        Manifest::Waiting(waiting) => {
            let (table, tallies) = *waiting;
            progress.phase("writing the manifest");
            let rows = manifest_rows.take().expect("the manifest is written once");
            digests.extend(write_manifest(table, rows, tallies, integrity)?);
        }
    }
    let (people, done, lanes) = reported;
    let FindingsDone {
        per_rule,
        flagged,
        digest: findings_digest,
        tags,
        page: page_findings,
    } = done;
    digests.extend(people.digests.iter().cloned());
    digests.extend(findings_digest);

    if let (Some(replay), Some(tags)) = (replay, tags) {
        progress.phase("writing the Timesketch export");
        let (digest, untimed) = timesketch::write(&mut out, replay.finish()?, tags.finish()?)?;
        digests.push(digest);
        if untimed > 0 {
            summary.notes.push(format!(
                "{untimed} events without a time Timesketch can read are not in {}",
                timesketch::NAME
            ));
        }
    }
    if formats.xlsx {
        progress.phase("writing the workbook");
        let path = out.stage("report.xlsx");
        workbook::build(out.staging(), &Formats::SHEETS, &path)?;
        let digest = FileDigest::of_file(&path).map_err(|source| Error::Output {
            path: discover::display_path(&path),
            source,
        })?;
        digests.push(("report.xlsx".to_owned(), digest));
    }
    drop(spill);
    cancel.check()?;

    // The summary, the run's record, and the set put in place.
    summary.reported = archive.reported;
    summary.duplicates = archive.duplicates;
    summary.conflicts = archive.conflicts;
    summary.per_name = names.iter().cloned().zip(per_name).collect();
    summary.users = people.users;
    summary.accounts = people.accounts;
    summary.threads = config.threads;
    let per_rule_page = per_rule.clone();
    summary.rules = per_rule
        .into_iter()
        .map(|(id, s, n)| (id.to_owned(), s.as_str().to_owned(), n))
        .collect();
    summary.top_users = flagged
        .iter()
        .take(TOP_USERS)
        .cloned()
        .map(|f| (f.account, f.user, f.findings, f.worst.as_str().to_owned()))
        .collect();
    unmatched_names(config, &mut summary);
    if let (Some(lanes), Some(findings), Some(events)) = (lanes, page_findings, page_events) {
        progress.phase("writing the HTML report");
        let page = html::Page {
            version: env!("CARGO_PKG_VERSION").to_owned(),
            commit: COMMIT.to_owned(),
            command: html::command_for_page(&config.command),
            inputs: config
                .paths
                .iter()
                .map(|p| discover::display_path(p))
                .collect(),
            selection: config.selection.describe(),
            coverage: html::Coverage {
                files: summary.files as u64,
                bytes: summary.bytes,
                records: summary.records,
                ok: summary.ok as u64,
                partial: summary.partial as u64,
                unreadable: summary.unreadable as u64,
                skipped: summary.skipped as u64,
                reported: summary.reported,
                duplicates: summary.duplicates,
                conflicts: summary.conflicts,
            },
            inputs_incomplete: page_inputs,
            events,
            findings,
            per_rule: per_rule_page,
            users: lanes.users(),
            total_users: lanes.total_users,
            lanes: lanes.lanes(),
            integrity: summary
                .integrity
                .as_ref()
                .map(|(v, keys)| v.describe(*keys, summary.unwalked)),
        };
        digests.push(html::write(&mut out, &page)?);
    }
    summary.manifest = discover::display_path(&out.path().join(report::manifest::NAME));
    let order = |name: &str| crate::outdir::REPORT_NAMES.iter().position(|n| *n == name);
    digests.sort_by_key(|(name, _)| order(name));
    summary.reports = digests
        .iter()
        .map(|(name, _)| discover::display_path(&out.path().join(name)))
        .chain(std::iter::once(discover::display_path(
            &out.path().join(crate::outdir::RUN_RECORD),
        )))
        .collect();
    summary.elapsed = started.elapsed();
    let record = RunRecord {
        tool: "trailsift",
        version: env!("CARGO_PKG_VERSION"),
        commit: COMMIT,
        command: config.command.clone(),
        inputs: config
            .paths
            .iter()
            .map(|p| discover::display_path(p))
            .collect(),
        started: started_text,
        finished: crate::event::time::format(&chrono::Utc::now()),
        threads: config.threads,
        timing: timing.with_phases(progress.phases()),
        counts: summary.counts(),
        exit_status: summary.exit_status(),
        reports: digests
            .iter()
            .map(|(name, d)| ReportFile::new(name, d))
            .collect(),
    };
    record.write(&mut out)?;
    progress.finish();
    out.commit()?;
    Ok(summary)
}

/// Says which `--events` names matched nothing, with a known name that is close.
fn unmatched_names(config: &Config, summary: &mut Summary) {
    let Some(specs) = config
        .selection
        .events
        .specs()
        .filter(|_| config.events_named)
    else {
        return;
    };
    for spec in specs {
        let reported = summary
            .per_name
            .iter()
            .find(|(n, _)| *n == spec.name)
            .map_or(0, |(_, c)| *c);
        if reported > 0 {
            continue;
        }
        let hint = known::suggest(&spec.name, known::EVENT_NAMES)
            .map(|k| format!("; did you mean {k}?"))
            .unwrap_or_default();
        summary.notes.push(format!(
            "--events {} matched no event{hint}",
            escape(&spec.to_string())
        ));
    }
}

/// The reports written after the events, created while the output directory was at hand.
struct LaterTables {
    timeline: Table,
    users: Table,
    findings: Table,
    manifest: Table,
}

/// Each file's status in verify.csv, for the manifest's `integrity` column.
struct Statuses<'d>(Sorter<'d, report::manifest::Integrity>);

impl report::verify::Watcher for Statuses<'_> {
    fn row(&mut self, row: &integrity::Row) -> Result<(), Error> {
        // A missing file is named by its S3 key: it has no row in the manifest.
        if row.status != integrity::Status::Missing {
            self.0.push(report::manifest::Integrity {
                path: row.path.clone(),
                status: row.status,
            })?;
        }
        Ok(())
    }
}

/// manifest.csv: written, or waiting for the integrity check.
enum Manifest {
    Written(Option<(String, FileDigest)>),
    Waiting(Box<(Table, Merged<FileTally>)>),
}

/// Writes manifest.csv: each file's row, its tally of events, its integrity status.
fn write_manifest(
    table: Table,
    rows: Sorter<'_, report::manifest::Row>,
    tallies: Merged<FileTally>,
    integrity: Option<Merged<report::manifest::Integrity>>,
) -> Result<Option<(String, FileDigest)>, Error> {
    report::manifest::write(table, rows.finish()?, tallies, integrity)
}

/// The most flagged users the summary names.
const TOP_USERS: usize = 5;

/// What the findings pass leaves.
struct FindingsDone<'d> {
    per_rule: Vec<(&'static str, findings::Severity, usize)>,
    /// The most flagged users, most findings first.
    flagged: Vec<report::findings::Flagged>,
    digest: Option<(String, FileDigest)>,
    tags: Option<Sorter<'d, Tag>>,
    page: Option<html::gather::Findings>,
}

/// Sees the findings as they are written: the tags of the Timesketch export, the page's.
struct FindingsWatcher<'d> {
    tags: Option<Sorter<'d, Tag>>,
    page: Option<html::gather::Findings>,
}

impl report::findings::Watcher for FindingsWatcher<'_> {
    fn finding(&mut self, f: &Finding) -> Result<(), Error> {
        if let Some(tags) = self.tags.as_mut() {
            tags.push(Tag {
                seq: f.event.seq,
                rule: f.rule().id().to_owned(),
            })?;
        }
        if let Some(page) = self.page.as_mut() {
            page.add(f);
        }
        Ok(())
    }
}

/// What the pass over the archive leaves for the next reports.
struct Streamed<'d> {
    /// Reported events per name (aligned with the names).
    per_name: Vec<u64>,
    entries: Sorter<'d, aggregate::timeline::Entry>,
    calls: Calls<'d>,
    /// The events again, for the exports written after the findings.
    replay: Option<Sorter<'d, Reported>>,
    digests: Vec<(String, FileDigest)>,
}

/// Events handed to the events.csv writer at a time.
const WRITE_BATCH: usize = 256;

/// Writes events.csv (and events.jsonl) as the archive's events come by in report order;
/// each event also goes to the timeline's sort and the actors' histories.
fn stream_events<'d>(
    mut events: aggregate::Events,
    mut table: Table,
    mut json_lines: Option<jsonl::Writer>,
    names: &[String],
    spill: &'d SpillDir,
    formats: &Formats,
    mut page: Option<&mut html::gather::Events>,
) -> Result<Streamed<'d>, Error> {
    let columns: std::collections::HashMap<&str, usize> = names
        .iter()
        .enumerate()
        .map(|(i, n)| (n.as_str(), i))
        .collect();
    let mut per_name = vec![0; names.len()];
    let mut entries = Sorter::new(spill, aggregate::timeline::order);
    let mut calls = Calls::new(spill);
    let mut replay = formats
        .timesketch
        .then(|| Sorter::new(spill, aggregate::report_order));
    // events.csv (and the JSON Lines export) are formatted and written on a thread of their
    // own, in batches, while this one merges the sorted events and feeds the other sorts.
    let (to_writer, batches) = std::sync::mpsc::sync_channel::<Vec<Arc<Reported>>>(1);
    let writer = move || -> Result<Vec<(String, FileDigest)>, Error> {
        for batch in batches {
            for r in &batch {
                report::events::row(&mut table, r)?;
                if let Some(j) = json_lines.as_mut() {
                    j.event(r)?;
                }
            }
        }
        let mut digests = Vec::new();
        digests.extend(table.close()?);
        if let Some(j) = json_lines {
            digests.push(j.close()?);
        }
        Ok(digests)
    };
    let (fed, written) = std::thread::scope(|scope| {
        let writer = scope.spawn(writer);
        let mut feed = || -> Result<(), Error> {
            let mut batch = Vec::with_capacity(WRITE_BATCH);
            while let Some(r) = events.pop()? {
                if let Some(p) = page.as_mut() {
                    p.add(&r);
                }
                if let Some(&i) = columns.get(r.event.name.as_str()) {
                    per_name[i] += 1;
                }
                for entry in aggregate::timeline::entries_of(&r) {
                    entries.push(entry)?;
                }
                let r = Arc::new(r);
                calls.add(&r)?;
                if let Some(replay) = replay.as_mut() {
                    replay.push(Arc::unwrap_or_clone(Arc::clone(&r)))?;
                }
                batch.push(r);
                if batch.len() == WRITE_BATCH {
                    let full = std::mem::replace(&mut batch, Vec::with_capacity(WRITE_BATCH));
                    if to_writer.send(full).is_err() {
                        // The writer stopped on an error: it tells which.
                        return Ok(());
                    }
                }
            }
            if !batch.is_empty() {
                let _ = to_writer.send(batch);
            }
            Ok(())
        };
        let fed = feed();
        drop(to_writer);
        let written = writer
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (fed, written)
    });
    let digests = match (fed, written) {
        (Err(e), _) | (Ok(()), Err(e)) => return Err(e),
        (Ok(()), Ok(digests)) => digests,
    };
    Ok(Streamed {
        per_name,
        entries,
        calls,
        replay,
        digests,
    })
}
