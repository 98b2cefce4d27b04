package controlplane

import (
	"fmt"
	"strings"

	"github.com/kubeward/kubeward/internal/check"
)

// The API server's audit settings (CIS 1.2.16 to 1.2.19 and 3.2.1), judged
// with kube-apiserver v1.37's own defaults: a log is written only with
// --audit-log-path (or a webhook backend), nothing is recorded without
// --audit-policy-file, and the retention flags default to 366 days, 100
// files and 100 MB (k8s.io/apiserver pkg/server/options/audit.go:155-160),
// where 0 means "no limit" for age and count. Retention is judged only where
// it can cut the history short: a value between 0 and the benchmark's
// minimum.

const nsaAudit = "Audit Logging and Threat Detection"

func auditReads(flags ...string) []string { return reads(apiserver, flags...) }

// logsToFile reports whether the log backend writes a rotated file.
func logsToFile(in *instance) bool {
	p := strings.TrimSpace(in.args.Get("audit-log-path").Raw)
	return p != "" && p != "-"
}

// APIServerAuditLog: an audit backend is configured (CIS 1.2.16).
var APIServerAuditLog = flagCheck(check.Meta{
	ID:       "apiserver-audit-log",
	Title:    "API server writes no audit log",
	Severity: check.Medium,
	Rationale: "Without an audit backend there is no record of who read or changed what: incidents cannot be " +
		"investigated and kubeward's run-time detections have no input.",
	Fix: "Set --audit-log-path (and --audit-policy-file), or --audit-webhook-config-file to send events to a " +
		"collector such as kubeward audit.",
	Reads: auditReads("audit-log-path", "audit-webhook-config-file"),
	Refs:  []check.Reference{check.CIS("1.2.16", "Ensure that the --audit-log-path argument is set"), check.NSA(nsaAudit)},
}, apiserver, func(in *instance) []problem {
	if strings.TrimSpace(in.args.Get("audit-log-path").Raw) != "" || strings.TrimSpace(in.args.Get("audit-webhook-config-file").Raw) != "" {
		return nil
	}
	return []problem{{flag: "audit-log-path", message: fmt.Sprintf("%s: %s and no audit webhook is configured: requests are not audited", in.name, in.describe("audit-log-path"))}}
})

// APIServerAuditPolicyFile: an audit policy is given (CIS 3.2.1).
var APIServerAuditPolicyFile = flagCheck(check.Meta{
	ID:       "apiserver-audit-policy-file",
	Title:    "API server has no audit policy",
	Severity: check.Medium,
	Rationale: "The API server records audit events only for requests its policy selects; without " +
		"--audit-policy-file no event is recorded, even with a log path or webhook configured.",
	Fix:   "Set --audit-policy-file to a policy that logs at least Metadata for every request (Metadata only for Secrets, ConfigMaps and TokenReviews).",
	Reads: auditReads("audit-policy-file"),
	Refs:  []check.Reference{check.CIS("3.2.1", "Ensure that a minimal audit policy is created"), check.NSA(nsaAudit)},
}, apiserver, mustSet("no audit event is recorded", "audit-policy-file"))

// retention builds a check of one audit-log retention flag.
func retention(flag string, minimum int64, unit, consequence string) func(*instance) []problem {
	return func(in *instance) []problem {
		if !logsToFile(in) {
			return nil
		}
		n, v, ok := in.args.Int(flag)
		if !ok || !v.Valid || n <= 0 || n >= minimum {
			return nil
		}
		return []problem{{flag: flag, message: fmt.Sprintf("%s: %s (%s): %s; keep at least %d %s", in.name, in.describe(flag), unit, consequence, minimum, unit)}}
	}
}

// APIServerAuditLogMaxAge (CIS 1.2.17).
var APIServerAuditLogMaxAge = flagCheck(check.Meta{
	ID:        "apiserver-audit-log-maxage",
	Title:     "API server deletes audit logs after less than 30 days",
	Severity:  check.Low,
	Rationale: "Rotated audit logs older than --audit-log-maxage days are deleted; incidents are often found weeks later.",
	Fix:       "Set --audit-log-maxage to 30 or more (the default, 366, and 0, no age limit, are fine), or ship the log elsewhere.",
	Reads:     auditReads("audit-log-maxage", "audit-log-path"),
	Refs:      []check.Reference{check.CIS("1.2.17", "Ensure that the --audit-log-maxage argument is set to 30 or as appropriate"), check.NSA(nsaAudit)},
}, apiserver, retention("audit-log-maxage", 30, "days", "older audit logs are deleted"))

// APIServerAuditLogMaxBackup (CIS 1.2.18).
var APIServerAuditLogMaxBackup = flagCheck(check.Meta{
	ID:        "apiserver-audit-log-maxbackup",
	Title:     "API server keeps fewer than 10 rotated audit logs",
	Severity:  check.Low,
	Rationale: "Only --audit-log-maxbackup rotated audit files are kept; a busy cluster rotates through a few files in hours.",
	Fix:       "Set --audit-log-maxbackup to 10 or more (the default, 100, and 0, no limit, are fine).",
	Reads:     auditReads("audit-log-maxbackup", "audit-log-path"),
	Refs:      []check.Reference{check.CIS("1.2.18", "Ensure that the --audit-log-maxbackup argument is set to 10 or as appropriate"), check.NSA(nsaAudit)},
}, apiserver, retention("audit-log-maxbackup", 10, "files", "older audit logs are deleted"))

// APIServerAuditLogMaxSize (CIS 1.2.19).
var APIServerAuditLogMaxSize = flagCheck(check.Meta{
	ID:        "apiserver-audit-log-maxsize",
	Title:     "API server rotates audit logs below 100 MB",
	Severity:  check.Low,
	Rationale: "Small audit files times a bounded number of backups bound the history that is kept.",
	Fix:       "Set --audit-log-maxsize to 100 or more (the default is 100).",
	Reads:     auditReads("audit-log-maxsize", "audit-log-path"),
	Refs:      []check.Reference{check.CIS("1.2.19", "Ensure that the --audit-log-maxsize argument is set to 100 or as appropriate"), check.NSA(nsaAudit)},
}, apiserver, retention("audit-log-maxsize", 100, "MB", "each audit file is rotated early"))

func init() {
	check.Register(APIServerAuditLog, APIServerAuditPolicyFile, APIServerAuditLogMaxAge, APIServerAuditLogMaxBackup, APIServerAuditLogMaxSize)
}
