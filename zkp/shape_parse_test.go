package zkp

import (
	"errors"
	"testing"
)

func TestParseShape(t *testing.T) {
	for in, want := range map[string]Shape{
		"":          DefaultShape(),
		"default":   DefaultShape(),
		"reference": ReferenceShape(),
		`{"slots":4,"predicates":1,"revocation_depth":3}`: {Slots: 4, Predicates: 1, RevocationDepth: 3},
	} {
		got, err := ParseShape(in)
		if err != nil || got != want {
			t.Errorf("ParseShape(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{
		"huge",                   // unknown name
		`{"slots":4,"colour":1}`, // unknown field
		`{"slots":0}`,            // invalid shape
		`{"slots":4,"predicates":1,"revocation_depth":3}{}`, // trailing data
		`{"slots":100000}`, // over the limits
	} {
		if _, err := ParseShape(in); !errors.Is(err, ErrInvalidShape) {
			t.Errorf("ParseShape(%q) = %v, want ErrInvalidShape", in, err)
		}
	}
}
