package check_test

import (
	"fmt"
	"testing"

	"github.com/kubeward/kubeward/internal/check"
	"github.com/kubeward/kubeward/internal/inventory"
)

func TestSelectOptIn(t *testing.T) {
	meta := func(id string, optIn bool) *check.Check {
		return &check.Check{Meta: check.Meta{ID: id, Category: check.CategoryWorkload, OptIn: optIn}}
	}
	all := []*check.Check{meta("plain-a", false), meta("plain-b", false), meta("opt-c", true)}
	ids := func(cs []*check.Check) string {
		var out []string
		for _, c := range cs {
			out = append(out, c.ID)
		}
		return fmt.Sprint(out)
	}
	for _, tt := range []struct {
		include, exclude []string
		want             string
	}{
		{want: "[plain-a plain-b]"},
		{include: []string{"*"}, want: "[plain-a plain-b]"},
		{include: []string{"category:workload"}, want: "[plain-a plain-b]"},
		{include: []string{"opt-c"}, want: "[opt-c]"},
		{include: []string{"plain-*", "opt-c"}, want: "[plain-a plain-b opt-c]"},
		{include: []string{"opt-c"}, exclude: []string{"opt-c"}, want: "[]"},
	} {
		got, err := check.Select(all, tt.include, tt.exclude)
		if err != nil {
			t.Fatalf("Select(%v, %v): %v", tt.include, tt.exclude, err)
		}
		if ids(got) != tt.want {
			t.Errorf("Select(%v, %v) = %s, want %s", tt.include, tt.exclude, ids(got), tt.want)
		}
	}
	if _, err := check.Select(all, []string{"opt-*"}, nil); err == nil {
		t.Error("a glob matching only opt-in checks selected nothing and must be an error")
	}
}

func TestDefaultsLeaveOutOptIn(t *testing.T) {
	check.Register(&check.Check{Meta: check.Meta{ID: "test-opt-in-only", Title: "t", Severity: check.Low, Category: check.CategoryWorkload, Rationale: "r", Fix: "f", OptIn: true},
		Pod: func(*check.Context, *inventory.Pod) []check.Result { return nil }})
	for _, c := range check.Defaults() {
		if c.OptIn {
			t.Errorf("Defaults holds the opt-in check %s", c.ID)
		}
	}
	if _, ok := check.Get("test-opt-in-only"); !ok {
		t.Fatal("not registered")
	}
}
