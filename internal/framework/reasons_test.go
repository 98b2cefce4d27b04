package framework

import "testing"

// TestJoinReasons: a control's reason keeps its first three causes and
// counts the rest.
func TestJoinReasons(t *testing.T) {
	for _, tc := range []struct {
		in   []string
		want string
	}{
		{nil, ""},
		{[]string{"a"}, "a"},
		{[]string{"a", "b", "c"}, "a; b; c"},
		{[]string{"a", "b", "c", "d", "e"}, "a; b; c; and 2 more"},
	} {
		if got := joinReasons(tc.in); got != tc.want {
			t.Errorf("joinReasons(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
