// Package strictjson is the one JSON decoder of the verifier and of the
// presentation protocol (verifier/protocol): json v2 semantics plus
// unknown members refused.
package strictjson

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"

	json "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// Every JSON document verifier and verifier/protocol read (requests,
// policies, submissions, the verifier's bbolt records) goes through
// [Unmarshal]: json v2 semantics,
// so duplicate member names (also when they differ only by escaping, such
// as "\u0069ssuer" and "issuer") are refused, names match case-sensitively
// ("Issuer" is not "issuer"), strings must be valid UTF-8 without lone
// surrogate escapes, and trailing data is refused; plus unknown members are
// refused. Go's encoding/json does none of the first three, which let a
// decoder here and one elsewhere read different values from the same bytes.
//
// Numbers: integer fields refuse fractions, exponents and out-of-range
// values (json v2). No field read here is a float64 or an interface, but
// should one be, a number that float64 cannot hold exactly (2^53+1, 0.1) is
// refused rather than rounded.
var strictJSON = json.JoinOptions(
	json.RejectUnknownMembers(true),
	json.WithUnmarshalers(json.UnmarshalFromFunc(unmarshalExactFloat)),
)

// Unmarshal decodes exactly one JSON value b into v, strictly (see
// strictJSON).
func Unmarshal(b []byte, v any) error {
	return json.Unmarshal(b, v, strictJSON)
}

// unmarshalExactFloat refuses a JSON number a float64 cannot represent
// exactly.
func unmarshalExactFloat(dec *jsontext.Decoder, f *float64) error {
	tok, err := dec.ReadToken()
	if err != nil {
		return err
	}
	if tok.Kind() != '0' {
		return fmt.Errorf("want a number, got %v", tok.Kind())
	}
	s := tok.String()
	x, err := strconv.ParseFloat(s, 64)
	if err != nil || len(s) > 1100 || strings.ContainsAny(s, "eE") && !smallExponent(s) {
		return fmt.Errorf("number %.40s is not exactly representable as a float64", s)
	}
	// The exponent is bounded, so the exact value costs little to compute.
	r, ok := new(big.Rat).SetString(s)
	if !ok || r.Cmp(new(big.Rat).SetFloat64(x)) != 0 {
		return fmt.Errorf("number %.40s is not exactly representable as a float64", s)
	}
	*f = x
	return nil
}

// smallExponent reports whether the exponent of JSON number s is within
// ±1100 (past which no nonzero float64 is exact and big.Rat would work hard).
func smallExponent(s string) bool {
	e, err := strconv.Atoi(s[strings.IndexAny(s, "eE")+1:])
	return err == nil && e >= -1100 && e <= 1100
}
