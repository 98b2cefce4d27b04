// Package secrets holds the checks that find credentials where they do not
// belong: Secret objects committed with data, literal credentials in
// container environment variables and ConfigMaps, and Secrets handed to
// containers as environment variables instead of files.
//
// Redaction is the rule every check here follows: a finding says where a
// value is (Secret key, env var, ConfigMap key and line) and what it looks
// like, never the value or any part of it. All message text about a value
// comes from a Detection (Detect, ScanText), whose description is fixed text
// chosen by kind, and from names passed through SafeName; nothing else from
// a value reaches a finding.
package secrets
