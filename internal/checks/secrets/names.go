package secrets

import (
	"bytes"
	"strings"
)

// NameClass is what a name (env var, ConfigMap key, config file setting)
// says its value is.
type NameClass uint8

const (
	NotCredential NameClass = iota
	Password
	SecretValue
	Token
	APIKey
	SecretKey
	PrivateKeyName
	EncryptionKey
	Credentials
	AuthValue
	numClasses
)

var classNoun = [numClasses]string{
	NotCredential:  "a value",
	Password:       "a password",
	SecretValue:    "a secret",
	Token:          "a token",
	APIKey:         "an API key",
	SecretKey:      "a secret key",
	PrivateKeyName: "a private key",
	EncryptionKey:  "an encryption or signing key",
	Credentials:    "credentials",
	AuthValue:      "an authentication value",
}

// Noun is fixed text naming the class: "a password", "an API key".
func (c NameClass) Noun() string {
	if c >= numClasses {
		return classNoun[NotCredential]
	}
	return classNoun[c]
}

// maxName bounds the names looked at; longer ones are not names.
const maxName = 256

// lastWordClass maps the last word of a name to its class.
var lastWordClass = map[string]NameClass{
	"password": Password, "passwd": Password, "passphrase": Password, "pass": Password,
	"htpasswd": Password,
	"secret":   SecretValue, "secrets": SecretValue,
	"token":  Token, // not "tokens": MAX_TOKENS is a count
	"apikey": APIKey, "apitoken": Token,
	"secretkey": SecretKey, "privatekey": PrivateKeyName,
	"credentials": Credentials, "credential": Credentials, "creds": Credentials, "cred": Credentials,
	"psk":  EncryptionKey,
	"auth": AuthValue,
}

// trailingQualifier words after a credential word keep it a credential.
var trailingQualifier = map[string]bool{
	"in": true, "out": true, "old": true, "new": true, "current": true, "prev": true, "previous": true,
	"next": true, "b64": true, "base64": true, "encoded": true, "value": true, "val": true, "raw": true,
	"plain": true, "plaintext": true, "literal": true, "string": true, "str": true, "data": true,
}

// keyQualifier maps the word before a final "key" to its class: "key"
// alone (CACHE_KEY, SORT_KEY) says nothing.
var keyQualifier = map[string]NameClass{
	"api": APIKey, "secret": SecretKey, "private": PrivateKeyName,
	"tls": PrivateKeyName, "ssh": PrivateKeyName, "client": PrivateKeyName,
	"encryption": EncryptionKey, "signing": EncryptionKey, "sign": EncryptionKey,
	"master": EncryptionKey, "session": EncryptionKey, "hmac": EncryptionKey,
	"crypto": EncryptionKey, "cipher": EncryptionKey, "aes": EncryptionKey, "jwt": EncryptionKey,
	"license": APIKey, "account": SecretKey, "storage": SecretKey, "shared": EncryptionKey,
	"auth": APIKey, "app": APIKey, "service": APIKey,
}

// compoundSuffix catches names written as one lower-case word, such as
// "adminpassword" or "dbpassword".
var compoundSuffix = []struct {
	suffix string
	class  NameClass
}{
	{"password", Password}, {"passwd", Password}, {"secret", SecretValue},
	{"token", Token}, {"apikey", APIKey},
	{"secretkey", SecretKey}, {"privatekey", PrivateKeyName}, {"accountkey", SecretKey},
}

// NameClassOf classifies a name by its last word, which names what the value
// is: DB_PASSWORD, clientSecret, spring.datasource.password and api-key are
// credentials; PASSWORD_FILE, TOKEN_TTL, SECRET_NAME and AUTH_ENABLED are not,
// because their values are about a credential, not the credential.
func NameClassOf(name string) NameClass {
	if len(name) > maxName || !mentionsCredential(name) {
		return NotCredential
	}
	words := splitWords(name)
	// A trailing qualifier or number does not change what the value is:
	// password_in, secret2, token_old, key_b64.
	for len(words) > 1 && (trailingQualifier[words[len(words)-1]] || allDigits(words[len(words)-1])) {
		words = words[:len(words)-1]
	}
	if len(words) == 0 {
		return NotCredential
	}
	last := strings.TrimRightFunc(words[len(words)-1], func(r rune) bool { return '0' <= r && r <= '9' })
	if last == "pwd" && len(words) > 1 { // PWD alone is the working directory
		return Password
	}
	if c, ok := lastWordClass[last]; ok {
		return c
	}
	if (last == "key" || last == "keys") && len(words) > 1 {
		q := words[len(words)-2]
		if q == "access" {
			// An access key (MINIO_ACCESS_KEY, the AWS key id) names an
			// account; its secret half is the credential.
			if len(words) > 2 && words[len(words)-3] == "secret" {
				return SecretKey // aws_secret_access_key
			}
			return NotCredential
		}
		if c, ok := keyQualifier[q]; ok {
			return c
		}
	}
	for _, cs := range compoundSuffix {
		if len(last) > len(cs.suffix) && strings.HasSuffix(last, cs.suffix) {
			return cs.class
		}
	}
	return NotCredential
}

// credentialStems are in every name NameClassOf accepts; most names have
// none, and checking costs no allocation.
var credentialStemNames = []string{"pass", "pwd", "secret", "token", "key", "cred", "auth", "psk"}

// credentialStems are the stems by their first byte: mentionsCredential
// makes one pass over the name instead of one per stem.
var credentialStems = func() (byFirst [256][][]byte) {
	for _, s := range credentialStemNames {
		byFirst[s[0]] = append(byFirst[s[0]], []byte(s))
	}
	return byFirst
}()

func mentionsCredential(name string) bool {
	var buf [maxName]byte
	low := buf[:len(name)]
	for i := 0; i < len(name); i++ {
		c := name[i]
		if isUpper(c) {
			c += 'a' - 'A'
		}
		low[i] = c
	}
	for i, c := range low {
		for _, st := range credentialStems[c] {
			if bytes.HasPrefix(low[i:], st) {
				return true
			}
		}
	}
	return false
}

// splitWords lower-cases a name and splits it at separators and at
// camelCase boundaries: "dbPassword" and "DB_PASSWORD" give [db password],
// "APIKey" gives [api key]. Digits stay with their word ("oauth2").
func splitWords(name string) []string {
	var words []string
	var b strings.Builder
	flush := func() {
		if b.Len() > 0 {
			words = append(words, strings.ToLower(b.String()))
			b.Reset()
		}
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !isAlnum(c) {
			flush()
			continue
		}
		if isUpper(c) && i > 0 {
			p := name[i-1]
			nextLower := i+1 < len(name) && isLower(name[i+1])
			if isLower(p) || isDigit(p) || (isUpper(p) && nextLower) {
				flush()
			}
		}
		b.WriteByte(c)
	}
	flush()
	return words
}
