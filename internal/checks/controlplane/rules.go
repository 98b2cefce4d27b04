package controlplane

import (
	"fmt"
	"strings"
)

// The helpers below turn the many CIS items that are one flag each into a
// line of data: the judgement of the effective value, with the message
// that names the flag as written (or its default).

// boolMustBe reports the flag when its effective value is not want.
func boolMustBe(flag string, want bool, consequence string) func(*instance) []problem {
	return func(in *instance) []problem {
		got, v, ok := in.args.Bool(flag)
		if !ok {
			return []problem{{flag: flag, message: fmt.Sprintf("%s: %s is not a boolean; %s will not start", in.name, in.describe(flag), in.comp.Name)}}
		}
		if got == want || !v.Valid {
			return nil
		}
		return []problem{{flag: flag, message: fmt.Sprintf("%s: %s: %s", in.name, in.describe(flag), consequence)}}
	}
}

// mustSet reports the first of the flags that is missing or empty.
func mustSet(consequence string, flags ...string) func(*instance) []problem {
	return func(in *instance) []problem {
		for _, f := range flags {
			if strings.TrimSpace(in.args.Get(f).Raw) == "" {
				return []problem{{flag: f, message: fmt.Sprintf("%s: %s: %s", in.name, in.describe(f), consequence)}}
			}
		}
		return nil
	}
}

// mustNotSet reports the flag when it has a value.
func mustNotSet(flag, consequence string) func(*instance) []problem {
	return func(in *instance) []problem {
		if strings.TrimSpace(in.args.Get(flag).Raw) == "" {
			return nil
		}
		return []problem{{flag: flag, message: fmt.Sprintf("%s: %s: %s", in.name, in.describe(flag), consequence)}}
	}
}
