package strictjson

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestStrictFloat: a float64 destination refuses numbers it cannot hold
// exactly, including ones whose exactness would be costly to establish.
// (From verifier/internal/strictjson, whose rule this package took.)
func TestStrictFloat(t *testing.T) {
	var v struct {
		F float64 `json:"f"`
	}
	for _, ok := range []string{"0", "-0", "1", "9007199254740992", "0.5", "-2.5", "1e2", "0.125e3", "1180591620717411303424"} {
		if err := Unmarshal([]byte(`{"f":`+ok+`}`), &v); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{"9007199254740993", "0.1", "1e400", "1e-400", "1e-999999999", "1e999999999", "1e300", "2.5e-324", "1180591620717411303425", `"1"`, "null"} {
		if err := Unmarshal([]byte(`{"f":`+bad+`}`), &v); err == nil {
			t.Errorf("%s accepted as %v", bad, v.F)
		}
	}
}

// TestStrictInt: integers refuse fractions, exponents and out-of-range
// values (json v2), so 18.0 and 1e1 are not spellings of an integer.
func TestStrictInt(t *testing.T) {
	var n int8
	var u uint64
	for _, bad := range []string{"18.0", "1e1", "128", "-129", "0.5", `"1"`} {
		if err := Unmarshal([]byte(bad), &n); err == nil {
			t.Errorf("int8 %s accepted as %d", bad, n)
		}
	}
	for _, bad := range []string{"-1", "18446744073709551616", "1E2"} {
		if err := Unmarshal([]byte(bad), &u); err == nil {
			t.Errorf("uint64 %s accepted as %d", bad, u)
		}
	}
	if err := Unmarshal([]byte("18446744073709551615"), &u); err != nil || u != 1<<64-1 {
		t.Errorf("uint64 max: %v, %d", err, u)
	}
}

func TestStrictFloat32(t *testing.T) {
	var f float32
	for _, ok := range []string{"0", "16777216", "0.5", "3e1"} {
		if err := Unmarshal([]byte(ok), &f); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{"16777217", "0.1", "1e39", "9007199254740992.5"} {
		if err := Unmarshal([]byte(bad), &f); err == nil {
			t.Errorf("%s accepted as %v", bad, f)
		}
	}
}

// TestAnyNumbers: numbers in interface values are kept as json.Number text,
// and refused at magnitude 2^53 or more (after rounding to a float64).
func TestAnyNumbers(t *testing.T) {
	for _, ok := range []string{"0", "-0", "9007199254740991", "-9007199254740991", "0.5", "1e2", "0.1", "3.7", "1e-400"} {
		var v any
		if err := Unmarshal([]byte(ok), &v); err != nil {
			t.Errorf("%s: %v", ok, err)
		} else if v != json.Number(ok) {
			t.Errorf("%s decoded as %#v", ok, v)
		}
	}
	for _, bad := range []string{
		// 2^53 and beyond: a float64 reader rounds 2^53+1 to 2^53.
		"9007199254740992", "9007199254740993", "-9007199254740993", "9.007199254740993e15", "18446744073709551616",
		// Not finite in float64.
		"1e400", "-1e400",
		// Rounds to 2^53.
		"9007199254740991.5",
	} {
		var v any
		if err := Unmarshal([]byte(bad), &v); err == nil {
			t.Errorf("%s accepted as %#v", bad, v)
		}
		var m map[string]any
		if err := Unmarshal([]byte(`{"a":[{"n":`+bad+`}]}`), &m); err == nil {
			t.Errorf("nested %s accepted as %#v", bad, m)
		}
	}
}

func TestDepth(t *testing.T) {
	nest := func(n int) []byte { return []byte(strings.Repeat("[", n) + strings.Repeat("]", n)) }
	var v any
	if err := Unmarshal(nest(MaxDepth), &v); err != nil {
		t.Errorf("depth %d: %v", MaxDepth, err)
	}
	if err := Unmarshal(nest(MaxDepth+1), &v); err == nil {
		t.Errorf("depth %d accepted", MaxDepth+1)
	}
	if err := Unmarshal(nest(10000), &v); err == nil {
		t.Error("depth 10000 accepted")
	}
}

type doc struct {
	Issuer string `json:"issuer"`
	Claims any    `json:"claims"`
}

// TestRefused: each input is one change to a valid document that
// encoding/json reads one way and another reader another way.
func TestRefused(t *testing.T) {
	const good = `{"issuer":"did:example:a","claims":{"district":"07"}}`
	edit := func(old, new string) string { return strings.Replace(good, old, new, 1) }
	for name, s := range map[string]string{
		// Duplicates, also after unescaping, at every level.
		"duplicate":                 edit(`"issuer":`, `"issuer":"did:example:evil","issuer":`),
		"escaped duplicate":         edit(`"issuer":`, `"\u0069ssuer":"did:example:evil","issuer":`),
		"escaped duplicate in any":  edit(`"district":"07"`, `"district":"07","distric\u0074":"08"`),
		"duplicate in nested value": edit(`"07"`, `{"a":1,"\u0061":2}`),
		// Case variants (unknown members here).
		"case variant Issuer":  edit(`"issuer":`, `"Issuer":"did:example:evil","issuer":`),
		"case variant instead": edit(`"issuer":`, `"ISSUER":`),
		"unknown member":       edit(`"issuer":`, `"extra":1,"issuer":`),
		// Strings: lone surrogates would become U+FFFD.
		"lone high surrogate":    edit(`"07"`, `"\ud800"`),
		"lone low surrogate":     edit(`"07"`, `"0\udc007"`),
		"lone surrogate in name": edit(`"district"`, `"d\ud800"`),
		"invalid UTF-8":          edit(`"07"`, "\"\xff\""),
		// Numbers, trailing data.
		"2^53+1":        edit(`"07"`, `9007199254740993`),
		"trailing data": good + " {}",
		"two values":    good + good,
	} {
		if s == good {
			t.Fatalf("%s: edit did not apply", name)
		}
		var d doc
		if err := Unmarshal([]byte(s), &d); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	var d doc
	if err := Unmarshal([]byte(good), &d); err != nil || d.Issuer != "did:example:a" {
		t.Fatalf("good: %v, %+v", err, d)
	}
}

func TestUnmarshalOpen(t *testing.T) {
	var d doc
	if err := UnmarshalOpen([]byte(`{"issuer":"a","Issuer":"b","extra":{"x":1}}`), &d); err != nil || d.Issuer != "a" {
		t.Errorf("unknown members: %v, %+v", err, d)
	}
	for name, s := range map[string]string{
		"escaped duplicate": `{"issuer":"a","\u0069ssuer":"b"}`,
		"duplicate unknown": `{"issuer":"a","x":1,"x":2}`,
		"lone surrogate":    `{"issuer":"\ud800"}`,
		"2^53 in any":       `{"claims":9007199254740992}`,
		"trailing data":     `{"issuer":"a"}x`,
	} {
		if err := UnmarshalOpen([]byte(s), &d); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestMembers(t *testing.T) {
	m, err := Members([]byte(` {"id":"a","type":"b","extra":{"x":1}}`), "id", "type")
	if err != nil || len(m) != 3 || string(m["extra"]) != `{"x":1}` {
		t.Fatalf("Members = %v, %v", m, err)
	}
	for name, s := range map[string]string{
		"case variant next to": `{"id":"a","ID":"b"}`,
		"case variant instead": `{"Id":"a"}`,
		"case variant Type":    `{"id":"a","tYPE":"b"}`,
		"escaped duplicate":    `{"id":"a","\u0069d":"b"}`,
		"duplicate in value":   `{"id":"a","x":{"y":1,"y":2}}`,
		"lone surrogate":       `{"id":"\udc00"}`,
		"null":                 `null`,
		"array":                `[{"id":"a"}]`,
		"string":               `"id"`,
		"trailing data":        `{"id":"a"}{}`,
		"empty":                ``,
	} {
		if _, err := Members([]byte(s), "id", "type"); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
