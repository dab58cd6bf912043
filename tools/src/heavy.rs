//! Dumps that are heavy where the results are: one file holding a million selected events,
//! one actor making a million calls. They check that memory is bounded by the sorts' budget
//! whatever the shape of the results (`tests/cli/memory.rs`).

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};
use flate2::Compression;
use flate2::write::GzEncoder;

/// What the records look like.
#[derive(Debug, Clone, Copy)]
pub enum Shape {
    /// Every record a ChangePassword by a different user.
    ManyUsers,
    /// Every record an UpdateAccessKey by one actor, on keys of many users, switched off and
    /// on again in turn.
    OneActor,
}

/// Writes `files` gzipped log files below `root` with `events` selected records in all.
pub fn generate(root: &Path, events: usize, files: usize, shape: Shape) -> Result<()> {
    let dir = root.join("AWSLogs/111122223333/CloudTrail/us-east-1/2026/03/02");
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let per_file = events.div_ceil(files.max(1));
    let mut n = 0;
    for f in 0..files {
        let path = dir.join(format!(
            "111122223333_CloudTrail_us-east-1_20260302T{:04}Z_heavy{f:011}.json.gz",
            f % 2400
        ));
        let file =
            std::fs::File::create(&path).with_context(|| format!("creating {}", path.display()))?;
        let mut gz = GzEncoder::new(std::io::BufWriter::new(file), Compression::fast());
        gz.write_all(b"{\"Records\":[")?;
        let mut line = String::new();
        for i in 0..per_file {
            if n == events {
                break;
            }
            if i > 0 {
                gz.write_all(b",")?;
            }
            line.clear();
            record(&mut line, n, shape);
            gz.write_all(line.as_bytes())?;
            n += 1;
        }
        gz.write_all(b"]}")?;
        gz.finish()?.flush()?;
    }
    Ok(())
}

fn record(out: &mut String, n: usize, shape: Shape) {
    use std::fmt::Write as _;
    let (h, m, s) = ((n / 3600) % 24, (n / 60) % 60, n % 60);
    let day = 1 + (n / 86_400) % 28;
    match shape {
        Shape::ManyUsers => {
            let _ = write!(
                out,
                r#"{{"eventVersion":"1.09","userIdentity":{{"type":"IAMUser","principalId":"AIDA{n:016}","arn":"arn:aws:iam::111122223333:user/user-{n}","accountId":"111122223333","accessKeyId":"ASIA{n:016}","userName":"user-{n}","sessionContext":{{"attributes":{{"creationDate":"2026-03-01T00:00:00Z","mfaAuthenticated":"false"}}}}}},"eventTime":"2026-03-{day:02}T{h:02}:{m:02}:{s:02}Z","eventSource":"iam.amazonaws.com","eventName":"ChangePassword","awsRegion":"us-east-1","sourceIPAddress":"198.51.{}.{}","userAgent":"console.amazonaws.com","requestParameters":null,"responseElements":null,"requestID":"req-{n:012}","eventID":"heavy-{n:012}","eventType":"AwsConsoleAction","recipientAccountId":"111122223333"}}"#,
                (n / 250) % 250,
                n % 250
            );
        }
        Shape::OneActor => {
            let status = if (n / 1000).is_multiple_of(2) {
                "Inactive"
            } else {
                "Active"
            };
            let _ = write!(
                out,
                r#"{{"eventVersion":"1.09","userIdentity":{{"type":"IAMUser","principalId":"AIDAONEACTOR","arn":"arn:aws:iam::111122223333:user/automation","accountId":"111122223333","accessKeyId":"AKIAONEACTOR00000001","userName":"automation"}},"eventTime":"2026-03-{day:02}T{h:02}:{m:02}:{s:02}Z","eventSource":"iam.amazonaws.com","eventName":"UpdateAccessKey","awsRegion":"us-east-1","sourceIPAddress":"203.0.{}.{}","userAgent":"aws-cli/2.15.0","requestParameters":{{"userName":"user-{}","accessKeyId":"AKIA{:016}","status":"{status}"}},"responseElements":null,"requestID":"req-{n:012}","eventID":"heavy-{n:012}","eventType":"AwsApiCall","recipientAccountId":"111122223333"}}"#,
                (n / 250) % 250,
                n % 250,
                n % 1000,
                n % 1000
            );
        }
    }
}
