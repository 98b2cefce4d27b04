package event_test

import (
	"bytes"
	"encoding/json"
)

func indent(dst *bytes.Buffer, src []byte) error { return json.Indent(dst, src, "", "  ") }
