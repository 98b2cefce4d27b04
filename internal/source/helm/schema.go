package helm

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
	chart "helm.sh/helm/v4/pkg/chart/v2"
)

// validateSchema checks values against values.schema.json of the chart and
// of each subchart, as Helm does before rendering, with two differences:
// a $ref to an http(s) or urn URL is not fetched and accepts anything (the
// scan is offline), and messages never repeat a string value (it may be a
// secret).
func validateSchema(c *chart.Chart, values map[string]any) error {
	var sb strings.Builder
	validateChart(c, values, &sb)
	if sb.Len() > 0 {
		return fmt.Errorf("values don't meet the specifications of the schema(s) in the following chart(s):\n%s", strings.TrimRight(sb.String(), "\n"))
	}
	return nil
}

func validateChart(c *chart.Chart, values map[string]any, sb *strings.Builder) {
	if len(c.Schema) > 0 {
		if msg := validateOne(values, c.Schema); msg != "" {
			fmt.Fprintf(sb, "%s:\n%s\n", c.Name(), msg)
		}
	}
	for _, sub := range c.Dependencies() {
		raw, ok := values[sub.Name()]
		if !ok || raw == nil {
			continue
		}
		vals, ok := raw.(map[string]any)
		if !ok {
			fmt.Fprintf(sb, "%s:\ninvalid type for values: expected object (map), got %T\n", sub.Name(), raw)
			continue
		}
		validateChart(sub, vals, sb)
	}
}

// offline answers every remote reference with the schema "true".
type offline struct{}

func (offline) Load(string) (any, error) { return true, nil }

func validateOne(values map[string]any, schemaJSON []byte) (msg string) {
	defer func() {
		if r := recover(); r != nil {
			msg = fmt.Sprintf("unable to validate schema: %v", r)
		}
	}()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schemaJSON))
	if err != nil {
		return "values.schema.json: " + err.Error()
	}
	c := jsonschema.NewCompiler()
	c.UseLoader(jsonschema.SchemeURLLoader{
		"file":  jsonschema.FileLoader{},
		"http":  offline{},
		"https": offline{},
		"urn":   offline{},
	})
	const url = "file:///values.schema.json"
	if err := c.AddResource(url, doc); err != nil {
		return "values.schema.json: " + err.Error()
	}
	sch, err := c.Compile(url)
	if err != nil {
		return "values.schema.json: " + err.Error()
	}
	err = sch.Validate(values)
	if err == nil {
		return ""
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return err.Error()
	}
	var lines []string
	leaves(ve, &lines)
	return strings.Join(lines, "\n")
}

var printer = message.NewPrinter(language.English)

// leaves lists the innermost causes, one line each, as Helm prints them.
func leaves(e *jsonschema.ValidationError, out *[]string) {
	if len(e.Causes) > 0 {
		for _, c := range e.Causes {
			leaves(c, out)
		}
		return
	}
	*out = append(*out, fmt.Sprintf("- at '/%s': %s", strings.Join(e.InstanceLocation, "/"), describe(e.ErrorKind)))
}

// describe is the library's message, except for the kinds whose message
// quotes the value itself.
func describe(k jsonschema.ErrorKind) string {
	switch k := k.(type) {
	case *kind.Pattern:
		return fmt.Sprintf("value does not match pattern %q (value not shown)", k.Want)
	case *kind.Format:
		return fmt.Sprintf("value is not a valid %s (value not shown)", k.Want)
	case *kind.ContentEncoding:
		return fmt.Sprintf("value is not %s encoded (value not shown)", k.Want)
	case *kind.ContentMediaType:
		return fmt.Sprintf("value is not of media type %s (value not shown)", k.Want)
	}
	return k.LocalizedString(printer)
}
