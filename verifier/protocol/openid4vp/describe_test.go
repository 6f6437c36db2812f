package openid4vp

import (
	"testing"

	"github.com/zkcred/zkcred/verifier/protocol"
)

// TestDescribePredicate: every operator reads as a plain sentence on the
// consent screen, never as the operator's wire name.
func TestDescribePredicate(t *testing.T) {
	v, lo, hi, n := protocol.StringValue("07"), protocol.UintValue(1), protocol.UintValue(9), 18
	set := []protocol.Value{protocol.StringValue("07"), protocol.StringValue("08")}
	for _, c := range []struct {
		p    protocol.Predicate
		want string
	}{
		{protocol.Predicate{Attribute: "birthDate", Op: protocol.OpAgeAtLeast, Years: &n}, "you are at least 18 years old (by your birthDate)"},
		{protocol.Predicate{Attribute: "birthDate", Op: protocol.OpAgeUnder, Years: &n}, "you are under 18 years old (by your birthDate)"},
		{protocol.Predicate{Attribute: "district", Op: protocol.OpEq, Value: &v}, `your district is "07"`},
		{protocol.Predicate{Attribute: "district", Op: protocol.OpNe, Value: &v}, `your district is not "07"`},
		{protocol.Predicate{Attribute: "points", Op: protocol.OpLt, Value: &hi}, "your points is less than 9"},
		{protocol.Predicate{Attribute: "points", Op: protocol.OpLe, Value: &hi}, "your points is at most 9"},
		{protocol.Predicate{Attribute: "points", Op: protocol.OpGt, Value: &lo}, "your points is more than 1"},
		{protocol.Predicate{Attribute: "points", Op: protocol.OpGe, Value: &lo}, "your points is at least 1"},
		{protocol.Predicate{Attribute: "points", Op: protocol.OpBetween, Min: &lo, Max: &hi}, "your points is between 1 and 9"},
		{protocol.Predicate{Attribute: "district", Op: protocol.OpIn, Values: set}, `your district is one of "07", "08"`},
		{protocol.Predicate{Attribute: "district", Op: protocol.OpNotIn, Values: set}, `your district is none of "07", "08"`},
	} {
		if got := describePredicate(c.p); got != c.want {
			t.Errorf("%s: got %q, want %q", c.p.Op, got, c.want)
		}
	}
}
