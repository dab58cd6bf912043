//! Realistic synthetic CloudTrail records.
//!
//! [`Record`] serialises with CloudTrail's own field order and spelling; [`Noise`] draws the
//! everyday API calls that make up almost all of a real trail (STS, KMS, EC2, S3, CloudWatch,
//! IAM reads), sized like real records (about 1-1.5 KB), from a seeded generator so every dump
//! can be rebuilt byte for byte.

use serde::Serialize;
use serde_json::{Value, json};

/// One CloudTrail record, in the order AWS writes the fields.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Record {
    pub event_version: String,
    pub user_identity: Value,
    pub event_time: String,
    pub event_source: String,
    pub event_name: String,
    pub aws_region: String,
    #[serde(rename = "sourceIPAddress")]
    pub source_ip_address: String,
    pub user_agent: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
    pub request_parameters: Value,
    pub response_elements: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub additional_event_data: Option<Value>,
    #[serde(rename = "requestID")]
    pub request_id: String,
    #[serde(rename = "eventID")]
    pub event_id: String,
    pub read_only: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resources: Option<Value>,
    pub event_type: String,
    pub management_event: bool,
    pub recipient_account_id: String,
    pub event_category: String,
    #[serde(rename = "sharedEventID", skip_serializing_if = "Option::is_none")]
    pub shared_event_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vpc_endpoint_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls_details: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_credential_from_console: Option<String>,
}

impl Record {
    /// A successful management API call with the given identity; the rest is filled in with
    /// plausible defaults that callers override.
    pub fn call(
        rng: &mut fastrand::Rng,
        time: &str,
        source: &str,
        name: &str,
        region: &str,
        identity: Value,
    ) -> Record {
        let account = identity
            .get("accountId")
            .and_then(Value::as_str)
            .unwrap_or("111122223333")
            .to_string();
        Record {
            event_version: "1.09".into(),
            user_identity: identity,
            event_time: time.into(),
            event_source: source.into(),
            event_name: name.into(),
            aws_region: region.into(),
            source_ip_address: "198.51.100.10".into(),
            user_agent: SDK_AGENTS[0].into(),
            error_code: None,
            error_message: None,
            request_parameters: Value::Null,
            response_elements: Value::Null,
            additional_event_data: None,
            request_id: uuid(rng),
            event_id: uuid(rng),
            read_only: false,
            resources: None,
            event_type: "AwsApiCall".into(),
            management_event: true,
            recipient_account_id: account,
            event_category: "Management".into(),
            shared_event_id: None,
            vpc_endpoint_id: None,
            tls_details: Some(tls(source)),
            session_credential_from_console: None,
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("records serialise")
    }
}

/// Everyday SDK and console user agents.
pub const SDK_AGENTS: [&str; 6] = [
    "aws-cli/2.15.30 Python/3.11.8 Linux/6.1.79-99.167.amzn2023.x86_64 exe/x86_64.amzn.2023 prompt/off command/sts.get-caller-identity",
    "Boto3/1.34.69 md/Botocore#1.34.69 ua/2.0 os/linux#5.10.213-201.855.amzn2.x86_64 md/arch#x86_64 lang/python#3.9.16 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.69",
    "aws-sdk-go-v2/1.25.3 os/linux lang/go#1.21.8 md/GOOS#linux md/GOARCH#amd64 api/kms#1.29.2",
    "aws-sdk-java/1.12.681 Linux/5.10.213-201.855.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/17.0.10+7-LTS java/17.0.10 vendor/Amazon.com_Inc. cfg/retry-mode/standard",
    "terraform-provider-aws/5.42.0 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.25.3 os/linux lang/go#1.22.1",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36",
];

/// A random RFC 4122-looking identifier.
pub fn uuid(rng: &mut fastrand::Rng) -> String {
    let a = rng.u128(..);
    let h = format!("{a:032x}");
    format!(
        "{}-{}-4{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[13..16],
        &h[16..20],
        &h[20..32]
    )
}

/// `n` random characters from an alphabet.
pub fn token(rng: &mut fastrand::Rng, alphabet: &[u8], n: usize) -> String {
    (0..n)
        .map(|_| alphabet[rng.usize(..alphabet.len())] as char)
        .collect()
}

const UPPER_DIGITS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const HEX: &[u8] = b"0123456789abcdef";
const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// A random access key id with the given prefix (`AKIA` long-term, `ASIA` session).
pub fn access_key(rng: &mut fastrand::Rng, prefix: &str) -> String {
    format!("{prefix}{}", token(rng, UPPER_DIGITS, 16))
}

fn tls(source: &str) -> Value {
    json!({
        "tlsVersion": "TLSv1.3",
        "cipherSuite": "TLS_AES_128_GCM_SHA256",
        "clientProvidedHostHeader": source.replace(".amazonaws.com", ".us-east-1.amazonaws.com"),
    })
}

/// An IAM user identity.
pub fn iam_user(
    account: &str,
    name: &str,
    key: &str,
    mfa: Option<bool>,
    session_start: &str,
) -> Value {
    let mut v = json!({
        "type": "IAMUser",
        "principalId": principal_id(name),
        "arn": format!("arn:aws:iam::{account}:user/{name}"),
        "accountId": account,
        "accessKeyId": key,
        "userName": name,
    });
    if let Some(mfa) = mfa {
        v["sessionContext"] = json!({
            "sessionIssuer": {},
            "webIdFederationData": {},
            "attributes": {"creationDate": session_start, "mfaAuthenticated": mfa.to_string()},
        });
    }
    v
}

/// An assumed-role identity (`role/session`).
pub fn assumed_role(
    account: &str,
    role: &str,
    session: &str,
    key: &str,
    mfa: bool,
    session_start: &str,
) -> Value {
    json!({
        "type": "AssumedRole",
        "principalId": format!("{}:{session}", principal_id(role)),
        "arn": format!("arn:aws:sts::{account}:assumed-role/{role}/{session}"),
        "accountId": account,
        "accessKeyId": key,
        "sessionContext": {
            "sessionIssuer": {
                "type": "Role",
                "principalId": principal_id(role),
                "arn": format!("arn:aws:iam::{account}:role/{role}"),
                "accountId": account,
                "userName": role,
            },
            "webIdFederationData": {},
            "attributes": {"creationDate": session_start, "mfaAuthenticated": mfa.to_string()},
        },
    })
}

/// The account's root user.
pub fn root(account: &str, key: &str, mfa: bool, session_start: &str) -> Value {
    json!({
        "type": "Root",
        "principalId": account,
        "arn": format!("arn:aws:iam::{account}:root"),
        "accountId": account,
        "accessKeyId": key,
        "sessionContext": {
            "sessionIssuer": {},
            "webIdFederationData": {},
            "attributes": {"creationDate": session_start, "mfaAuthenticated": mfa.to_string()},
        },
    })
}

/// An AWS service acting on the account's behalf.
pub fn aws_service(service: &str) -> Value {
    json!({"type": "AWSService", "invokedBy": service})
}

/// A stable, AWS-looking principal id derived from a name.
pub fn principal_id(name: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    let mut rng = fastrand::Rng::with_seed(h);
    format!("AIDA{}", token(&mut rng, UPPER_DIGITS, 17))
}

/// Draws the everyday calls that fill a trail around the events investigators look for.
pub struct Noise {
    pub accounts: Vec<String>,
    pub users: Vec<String>,
    pub roles: Vec<String>,
}

impl Noise {
    /// A record at `time` in `account`/`region` drawn from a realistic mix of services.
    pub fn record(
        &self,
        rng: &mut fastrand::Rng,
        time: &str,
        account: &str,
        region: &str,
    ) -> Record {
        let role = &self.roles[rng.usize(..self.roles.len())];
        let session = format!("i-{}", token(rng, HEX, 17));
        let start = &format!("{}{:02}:{:02}Z", &time[..14], rng.u8(..60), rng.u8(..60));
        let identity = match rng.u8(..10) {
            0..=5 => assumed_role(
                account,
                role,
                &session,
                &access_key(rng, "ASIA"),
                false,
                start,
            ),
            6 | 7 => {
                let user = &self.users[rng.usize(..self.users.len())];
                iam_user(account, user, &access_key(rng, "AKIA"), None, start)
            }
            _ => aws_service(
                [
                    "ec2.amazonaws.com",
                    "lambda.amazonaws.com",
                    "cloudformation.amazonaws.com",
                ][rng.usize(..3)],
            ),
        };
        let pick = rng.u16(..1000);
        let (source, name, read_only) = match pick {
            0..=179 => ("sts.amazonaws.com", "AssumeRole", true),
            180..=339 => ("kms.amazonaws.com", "Decrypt", true),
            340..=429 => ("kms.amazonaws.com", "GenerateDataKey", true),
            430..=549 => ("ec2.amazonaws.com", "DescribeInstances", true),
            550..=609 => ("ec2.amazonaws.com", "DescribeNetworkInterfaces", true),
            610..=689 => ("s3.amazonaws.com", "GetBucketAcl", true),
            690..=739 => ("s3.amazonaws.com", "ListBuckets", true),
            740..=819 => ("logs.amazonaws.com", "CreateLogStream", false),
            820..=869 => ("monitoring.amazonaws.com", "PutMetricData", false),
            870..=899 => ("ssm.amazonaws.com", "GetParameter", true),
            900..=929 => ("lambda.amazonaws.com", "Invoke", false),
            930..=949 => ("iam.amazonaws.com", "GetUser", true),
            950..=964 => ("iam.amazonaws.com", "ListAccessKeys", true),
            965..=974 => ("iam.amazonaws.com", "ListMFADevices", true),
            975..=984 => ("iam.amazonaws.com", "GetRole", true),
            _ => ("ec2.amazonaws.com", "RunInstances", false),
        };
        let region = if source == "iam.amazonaws.com" {
            "us-east-1"
        } else {
            region
        };
        let mut r = Record::call(rng, time, source, name, region, identity);
        r.read_only = read_only;
        r.user_agent = SDK_AGENTS[rng.usize(..SDK_AGENTS.len() - 1)].into();
        r.source_ip_address = match r.user_identity["type"].as_str() {
            Some("AWSService") => r.user_identity["invokedBy"]
                .as_str()
                .unwrap_or("AWS Internal")
                .into(),
            _ => format!("10.{}.{}.{}", rng.u8(..), rng.u8(..), rng.u8(1..255)),
        };
        let key_id = format!("arn:aws:kms:{region}:{account}:key/{}", uuid(rng));
        let bucket = format!(
            "{}-{}-data",
            ["logs", "backups", "analytics", "artifacts"][rng.usize(..4)],
            account
        );
        let user = self.users[rng.usize(..self.users.len())].clone();
        let (params, response, resources) = match name {
            "AssumeRole" => {
                let target = &self.roles[rng.usize(..self.roles.len())];
                (
                    json!({"roleArn": format!("arn:aws:iam::{account}:role/{target}"), "roleSessionName": session, "durationSeconds": 3600}),
                    json!({
                        "credentials": {"accessKeyId": access_key(rng, "ASIA"), "sessionToken": format!("IQoJb3JpZ2luX2Vj{}", token(rng, B64, 96)), "expiration": "Mar 2, 2026, 1:00:00 PM"},
                        "assumedRoleUser": {"assumedRoleId": format!("{}:{session}", principal_id(target)), "arn": format!("arn:aws:sts::{account}:assumed-role/{target}/{session}")},
                    }),
                    Some(
                        json!([{"accountId": account, "type": "AWS::IAM::Role", "ARN": format!("arn:aws:iam::{account}:role/{target}")}]),
                    ),
                )
            }
            "Decrypt" | "GenerateDataKey" => (
                json!({"keyId": key_id, "encryptionAlgorithm": "SYMMETRIC_DEFAULT", "encryptionContext": {"aws:lambda:FunctionArn": format!("arn:aws:lambda:{region}:{account}:function:worker-{}", rng.u8(..20)), "aws:s3:arn": format!("arn:aws:s3:::{bucket}/{}/{}.parquet", token(rng, HEX, 8), uuid(rng))}}),
                Value::Null,
                Some(json!([{"accountId": account, "type": "AWS::KMS::Key", "ARN": key_id}])),
            ),
            "DescribeInstances" | "DescribeNetworkInterfaces" => (
                json!({"instancesSet": {"items": [{"instanceId": format!("i-{}", token(rng, HEX, 17))}, {"instanceId": format!("i-{}", token(rng, HEX, 17))}]}, "filterSet": {}, "maxResults": 1000}),
                Value::Null,
                None,
            ),
            "GetBucketAcl" | "ListBuckets" => (
                json!({"bucketName": bucket, "Host": format!("{bucket}.s3.{region}.amazonaws.com"), "acl": ""}),
                Value::Null,
                Some(
                    json!([{"accountId": account, "type": "AWS::S3::Bucket", "ARN": format!("arn:aws:s3:::{bucket}")}]),
                ),
            ),
            "CreateLogStream" => (
                json!({"logGroupName": format!("/aws/lambda/worker-{}", rng.u8(..20)), "logStreamName": format!("2026/03/02/[$LATEST]{}", token(rng, HEX, 32)), "clientToken": uuid(rng)}),
                Value::Null,
                None,
            ),
            "PutMetricData" => (
                json!({"namespace": "App/Workers", "metricData": [{"metricName": "Latency", "value": rng.u16(..500), "unit": "Milliseconds"}]}),
                Value::Null,
                None,
            ),
            "GetParameter" => (
                json!({"name": format!("/app/{}/db-password", ["prod", "stage"][rng.usize(..2)]), "withDecryption": true}),
                Value::Null,
                None,
            ),
            "Invoke" => (
                json!({"functionName": format!("arn:aws:lambda:{region}:{account}:function:worker-{}", rng.u8(..20))}),
                Value::Null,
                None,
            ),
            "GetUser" | "ListAccessKeys" | "ListMFADevices" => {
                (json!({"userName": user}), Value::Null, None)
            }
            "GetRole" => (json!({"roleName": role}), Value::Null, None),
            _ => (
                json!({"instancesSet": {"items": [{"imageId": "ami-0c101f26f147fa7fd", "minCount": 1, "maxCount": 1}]}, "instanceType": "t3.micro", "monitoring": {"enabled": false}}),
                json!({"requestId": uuid(rng), "reservationId": format!("r-{}", token(rng, HEX, 17)), "ownerId": account}),
                None,
            ),
        };
        r.request_parameters = params;
        r.response_elements = response;
        r.resources = resources;
        if rng.u8(..100) < 3 {
            r.error_code = Some("AccessDenied".into());
            r.error_message = Some(format!(
                "User: {} is not authorized to perform: {}",
                r.user_identity["arn"].as_str().unwrap_or("unknown"),
                name
            ));
            r.response_elements = Value::Null;
        }
        if rng.u8(..4) == 0 {
            r.resources.get_or_insert_with(|| json!([]));
            r.tls_details = Some(
                json!({"tlsVersion": "TLSv1.2", "cipherSuite": "ECDHE-RSA-AES128-GCM-SHA256", "clientProvidedHostHeader": format!("{}.{region}.amazonaws.com", &source[..source.len() - 14])}),
            );
        }
        if source == "s3.amazonaws.com" {
            r.request_id = token(rng, UPPER_DIGITS, 16);
            r.additional_event_data = Some(json!({
                "SignatureVersion": "SigV4", "CipherSuite": "TLS_AES_128_GCM_SHA256", "bytesTransferredIn": 0,
                "AuthenticationMethod": "AuthHeader", "x-amz-id-2": token(rng, B64, 76), "bytesTransferredOut": rng.u16(..4000),
            }));
        }
        if rng.u8(..10) < 4 {
            r.vpc_endpoint_id = Some(format!("vpce-{}", token(rng, HEX, 17)));
            r.shared_event_id = Some(uuid(rng));
        }
        r.recipient_account_id = account.to_string();
        r
    }
}
