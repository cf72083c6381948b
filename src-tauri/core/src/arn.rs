//! ARNs and principals: parsed, not pattern-matched, so a trust policy names exactly
//! the principal the person meant, in the partition they are in.

use serde::{Deserialize, Serialize};
use std::fmt;

use crate::validate::{self, FieldError, FieldErrors};

/// The AWS partitions Rolegate supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub enum Partition {
    #[serde(rename = "aws")]
    Aws,
    #[serde(rename = "aws-cn")]
    AwsCn,
    #[serde(rename = "aws-us-gov")]
    AwsUsGov,
}

impl Partition {
    pub fn as_str(self) -> &'static str {
        match self {
            Partition::Aws => "aws",
            Partition::AwsCn => "aws-cn",
            Partition::AwsUsGov => "aws-us-gov",
        }
    }

    pub fn parse(field: &str, s: &str) -> Result<Partition, FieldError> {
        match s {
            "aws" => Ok(Partition::Aws),
            "aws-cn" => Ok(Partition::AwsCn),
            "aws-us-gov" => Ok(Partition::AwsUsGov),
            other => Err(FieldError::new(field, "arn-partition", format!("partition must be aws, aws-cn or aws-us-gov; got {other:?}"))),
        }
    }

    /// The partition a region belongs to.
    pub fn of_region(region: &str) -> Partition {
        if region.starts_with("cn-") {
            Partition::AwsCn
        } else if region.starts_with("us-gov-") {
            Partition::AwsUsGov
        } else {
            Partition::Aws
        }
    }

    /// The DNS suffix of the partition's endpoints.
    pub fn dns_suffix(self) -> &'static str {
        match self {
            Partition::AwsCn => "amazonaws.com.cn",
            _ => "amazonaws.com",
        }
    }
}

impl fmt::Display for Partition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A parsed ARN: `arn:partition:service:region:account:resource`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arn {
    pub partition: Partition,
    pub service: String,
    pub region: String,
    pub account: String,
    pub resource: String,
}

impl Arn {
    pub fn parse(field: &str, s: &str) -> Result<Arn, FieldErrors> {
        let parts: Vec<&str> = s.splitn(6, ':').collect();
        if parts.len() != 6 || parts[0] != "arn" {
            return Err(vec![FieldError::new(
                field,
                "arn-syntax",
                format!("must be an ARN of the form arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE; got {s:?}"),
            )]);
        }
        let mut errs = Vec::new();
        let partition = match Partition::parse(field, parts[1]) {
            Ok(p) => Some(p),
            Err(e) => {
                errs.push(e);
                None
            }
        };
        if parts[2].is_empty() || !parts[2].bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') {
            errs.push(FieldError::new(
                field,
                "arn-service",
                format!("service must be a lowercase service name such as iam; got {:?}", parts[2]),
            ));
        }
        if !parts[4].is_empty() {
            errs.extend(validate::account_id(field, parts[4]));
        }
        if parts[5].is_empty() {
            errs.push(FieldError::new(field, "arn-resource", "the resource part is empty"));
        }
        match partition {
            Some(partition) if errs.is_empty() => Ok(Arn {
                partition,
                service: parts[2].to_string(),
                region: parts[3].to_string(),
                account: parts[4].to_string(),
                resource: parts[5].to_string(),
            }),
            _ => Err(errs),
        }
    }
}

impl fmt::Display for Arn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "arn:{}:{}:{}:{}:{}", self.partition, self.service, self.region, self.account, self.resource)
    }
}

/// Build the ARN of an IAM resource (`user`, `role`, `policy`) with its path.
pub fn iam_arn(partition: Partition, account: &str, kind: &str, path: &str, name: &str) -> String {
    format!("arn:{partition}:iam::{account}:{kind}{path}{name}")
}

/// An AWS principal that a trust policy can name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// A whole account (`123456789012` or `arn:aws:iam::123456789012:root`).
    Account { partition: Option<Partition>, account: String },
    /// An IAM user or role ARN (with path).
    Iam { arn: Arn, kind: IamKind, name: String },
    /// An assumed-role session ARN from STS (what GetCallerIdentity shows for a role).
    AssumedRole { arn: Arn, role_name: String, session: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IamKind {
    User,
    Role,
}

impl Principal {
    /// Parse a principal as a person would type it in a trust relationship.
    pub fn parse(field: &str, s: &str) -> Result<Principal, FieldErrors> {
        if s == "*" {
            return Err(vec![FieldError::new(
                field,
                "principal-wildcard",
                "\"*\" would let every AWS account assume the role; name the account or role ARN instead",
            )]);
        }
        if !s.starts_with("arn:") {
            let errs = validate::account_id(field, s);
            return if errs.is_empty() {
                Ok(Principal::Account { partition: None, account: s.to_string() })
            } else {
                Err(vec![FieldError::new(
                    field,
                    "principal-syntax",
                    format!("must be a 12-digit account id or an IAM user, role or account-root ARN; got {s:?}"),
                )])
            };
        }
        let arn = Arn::parse(field, s)?;
        let bad = |msg: &str| Err(vec![FieldError::new(field, "principal-kind", format!("{msg}; got {s:?}"))]);
        match arn.service.as_str() {
            "iam" => {
                if !arn.region.is_empty() {
                    return bad("IAM ARNs have an empty region field");
                }
                if arn.account.is_empty() {
                    return bad("the ARN must name an account");
                }
                if arn.resource == "root" {
                    return Ok(Principal::Account { partition: Some(arn.partition), account: arn.account.clone() });
                }
                let (kind, rest) = if let Some(r) = arn.resource.strip_prefix("user/") {
                    (IamKind::User, r)
                } else if let Some(r) = arn.resource.strip_prefix("role/") {
                    (IamKind::Role, r)
                } else {
                    return bad("an IAM principal is a user/..., role/... or root ARN");
                };
                let name = rest.rsplit('/').next().unwrap_or_default().to_string();
                if rest.contains('*') {
                    return bad("wildcards are not allowed in a principal");
                }
                let nk = match kind {
                    IamKind::User => validate::NameKind::User,
                    IamKind::Role => validate::NameKind::Role,
                };
                let errs = validate::iam_name(field, nk, &name);
                if !errs.is_empty() {
                    return Err(errs);
                }
                Ok(Principal::Iam { arn, kind, name })
            }
            "sts" => {
                let Some(rest) = arn.resource.strip_prefix("assumed-role/") else {
                    return bad("an STS principal is an assumed-role/ROLE/SESSION ARN");
                };
                let Some((role, session)) = rest.split_once('/') else {
                    return bad("an assumed-role ARN is assumed-role/ROLE/SESSION");
                };
                Ok(Principal::AssumedRole { role_name: role.to_string(), session: session.to_string(), arn })
            }
            _ => bad("a principal must be an IAM or STS ARN"),
        }
    }

    pub fn account(&self) -> &str {
        match self {
            Principal::Account { account, .. } => account,
            Principal::Iam { arn, .. } | Principal::AssumedRole { arn, .. } => &arn.account,
        }
    }

    /// How a trust policy names this principal (`arn:...:root` for an account).
    pub fn policy_value(&self, default_partition: Partition) -> String {
        match self {
            Principal::Account { partition, account } => {
                format!("arn:{}:iam::{account}:root", partition.unwrap_or(default_partition))
            }
            Principal::Iam { arn, .. } | Principal::AssumedRole { arn, .. } => arn.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_arns_in_all_partitions() {
        for (s, p) in [
            ("arn:aws:iam::123456789012:user/ci", Partition::Aws),
            ("arn:aws-cn:iam::123456789012:role/x", Partition::AwsCn),
            ("arn:aws-us-gov:iam::123456789012:policy/a/b", Partition::AwsUsGov),
        ] {
            let arn = Arn::parse("arn", s).unwrap();
            assert_eq!(arn.partition, p);
            assert_eq!(arn.to_string(), s);
        }
        let e = Arn::parse("role_arn", "arn:aws-eu:iam::123456789012:role/x").unwrap_err();
        assert_eq!(e[0].rule, "arn-partition");
        assert_eq!(e[0].field, "role_arn");
        assert_eq!(Arn::parse("role_arn", "role/x").unwrap_err()[0].rule, "arn-syntax");
        assert_eq!(Arn::parse("role_arn", "arn:aws:iam::12345:role/x").unwrap_err()[0].rule, "account-id");
    }

    #[test]
    fn principals() {
        let p = Principal::parse("p", "arn:aws:iam::161471496260:role/SeqeraPlatformCloudAccessRole").unwrap();
        assert!(matches!(p, Principal::Iam { kind: IamKind::Role, ref name, .. } if name == "SeqeraPlatformCloudAccessRole"));
        assert_eq!(p.account(), "161471496260");
        let p = Principal::parse("p", "arn:aws:iam::123456789012:user/team/ci").unwrap();
        assert!(matches!(p, Principal::Iam { kind: IamKind::User, ref name, .. } if name == "ci"));
        let p = Principal::parse("p", "123456789012").unwrap();
        assert_eq!(p.policy_value(Partition::AwsCn), "arn:aws-cn:iam::123456789012:root");
        let p = Principal::parse("p", "arn:aws:iam::123456789012:root").unwrap();
        assert_eq!(p.policy_value(Partition::AwsCn), "arn:aws:iam::123456789012:root");
        assert_eq!(Principal::parse("p", "*").unwrap_err()[0].rule, "principal-wildcard");
        assert_eq!(Principal::parse("p", "arn:aws:s3:::bucket").unwrap_err()[0].rule, "principal-kind");
        assert_eq!(Principal::parse("p", "arn:aws:iam::123456789012:role/*").unwrap_err()[0].rule, "principal-kind");
        assert!(Principal::parse("p", "arn:aws:sts::123456789012:assumed-role/r/s").is_ok());
    }

    #[test]
    fn partition_of_region() {
        assert_eq!(Partition::of_region("cn-northwest-1"), Partition::AwsCn);
        assert_eq!(Partition::of_region("us-gov-east-1"), Partition::AwsUsGov);
        assert_eq!(Partition::of_region("eu-central-1"), Partition::Aws);
        assert_eq!(iam_arn(Partition::Aws, "123456789012", "user", "/rolegate/", "ci"), "arn:aws:iam::123456789012:user/rolegate/ci");
    }
}
