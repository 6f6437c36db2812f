// Package strictjson is the JSON decoder of every zkcred format: the one
// definition of "strict JSON" that credential, credential/status, did, zkp,
// verifier, verifier/protocol and the example commands decode with. It
// imports nothing from zkcred, so that every layer (did is the lowest) can
// use it.
//
// # Rules
//
// [Unmarshal] decodes exactly one JSON value with json v2 semantics
// (github.com/go-json-experiment/json, the prototype of encoding/json/v2),
// and refuses:
//
//   - a duplicate member name in any object, also when the two names differ
//     only by escaping ("issuer" and "\u0069ssuer");
//   - a member name that matches a struct field only case-insensitively
//     ("Issuer" for field "issuer"): names match exactly, so such a member
//     is an unknown member;
//   - an unknown member: one that no field of the destination struct
//     names (with [UnmarshalOpen], unknown members are allowed and left
//     out);
//   - invalid UTF-8 and lone surrogate escapes ("\ud800"), which other
//     readers replace with U+FFFD;
//   - trailing data after the value;
//   - into a value of type any (claims, @context), a number of magnitude
//     2^53 or more once rounded to a float64, infinite ones included
//     (9007199254740993 would be read as 2^53, so two signed documents
//     would read the same), and any value nested [MaxDepth] levels deep or
//     more; an accepted number is kept as its text, an encoding/json
//     [json.Number], so zkcred reads it exactly (a fraction such as 0.1 is
//     accepted: claims of other issuers have them, and float64 readers
//     agree on its nearest value);
//   - into a float64 or float32, a number that the type cannot represent
//     exactly (0.1, 2^53+1, 1e400), rather than rounding it;
//   - into an integer, a fraction, an exponent or a value out of range
//     (json v2).
//
// encoding/json lets the last of two duplicates win, matches names
// case-insensitively, accepts unknown members and replaces invalid UTF-8
// and lone surrogates with U+FFFD, so that it and another decoder read
// different values from the same bytes.
//
// A type's own UnmarshalJSON method gets its raw value, already checked for
// duplicates, UTF-8 and surrogates, but none of the options: it must decode
// the value with this package too (as did's and credential's do).
//
// [Members] adds the one rule json v2 cannot apply to formats with
// extension members (verifiable credentials, DID documents, JWKs): a member
// whose name is a case variant of a known member is refused even though
// unknown members are allowed.
package strictjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// MaxDepth bounds the nesting of values decoded into Go interfaces (any):
// a value of type any at this depth or deeper, counted from the top of the
// document decoded, is refused. No zkcred format nests so deep (claims are
// scalars; JSON-LD @context entries nest a few levels); the bound keeps a
// document of brackets from building a deep tree of maps and slices.
const MaxDepth = 32

// maxExactInteger is 2^53: every integer of smaller magnitude is exactly a
// float64 (a JavaScript "safe integer"), so all readers agree on its value.
const maxExactInteger = 1 << 53

var (
	unmarshalers = jsonv2.WithUnmarshalers(jsonv2.JoinUnmarshalers(
		jsonv2.UnmarshalFromFunc(unmarshalAny),
		jsonv2.UnmarshalFromFunc(unmarshalFloat64),
		jsonv2.UnmarshalFromFunc(unmarshalFloat32),
	))
	strict = jsonv2.JoinOptions(jsonv2.RejectUnknownMembers(true), unmarshalers)
	open   = jsonv2.JoinOptions(jsonv2.RejectUnknownMembers(false), unmarshalers)
)

// Unmarshal decodes the JSON value b into v, strictly (see the package
// documentation), refusing unknown members.
func Unmarshal(b []byte, v any) error {
	return jsonv2.Unmarshal(b, v, strict)
}

// UnmarshalOpen is [Unmarshal] for formats with extension members: it
// allows unknown members and leaves them out. Every other rule holds; a
// case variant of a field name is an unknown member, so it is left out
// too (use [Members] to refuse it).
func UnmarshalOpen(b []byte, v any) error {
	return jsonv2.Unmarshal(b, v, open)
}

// Members decodes the JSON object b into its members, raw, with the rules of
// [Unmarshal], and refuses a member whose name differs only in case from one
// of known ("ID" next to, or instead of, "id"), which a case-insensitive
// reader would take for the known member. Anything but an object (null
// included) is refused.
func Members(b []byte, known ...string) (map[string]json.RawMessage, error) {
	if !bytes.HasPrefix(bytes.TrimLeft(b, " \t\r\n"), []byte("{")) {
		return nil, errors.New("strictjson: expected a JSON object")
	}
	var m map[string]json.RawMessage
	if err := Unmarshal(b, &m); err != nil {
		return nil, err
	}
	for k := range m {
		for _, name := range known {
			if k != name && strings.EqualFold(k, name) {
				return nil, fmt.Errorf("strictjson: member %q is a case variant of %q", truncate(k, 64), name)
			}
		}
	}
	return m, nil
}

// unmarshalAny decodes a number inside an interface value as a json.Number,
// keeping its text, if its magnitude is below 2^53, and bounds the nesting
// of interface values.
func unmarshalAny(dec *jsontext.Decoder, v *any) error {
	if dec.StackDepth() >= MaxDepth {
		return fmt.Errorf("strictjson: nesting deeper than %d", MaxDepth)
	}
	if dec.PeekKind() != '0' {
		return errors.ErrUnsupported // the default: objects, arrays, strings, ...
	}
	tok, err := dec.ReadToken()
	if err != nil {
		return err
	}
	s := tok.String()
	if f, err := strconv.ParseFloat(s, 64); err != nil || math.Abs(f) >= maxExactInteger {
		return fmt.Errorf("strictjson: number %s is not exactly representable (magnitude 2^53 or more)", truncate(s, 32))
	}
	*v = json.Number(s)
	return nil
}

func unmarshalFloat64(dec *jsontext.Decoder, f *float64) error {
	x, err := readExactFloat(dec, 64)
	if err == nil {
		*f = x
	}
	return err
}

func unmarshalFloat32(dec *jsontext.Decoder, f *float32) error {
	x, err := readExactFloat(dec, 32)
	if err == nil {
		*f = float32(x)
	}
	return err
}

// readExactFloat reads a JSON number that a float of bitSize bits
// represents exactly.
func readExactFloat(dec *jsontext.Decoder, bitSize int) (float64, error) {
	tok, err := dec.ReadToken()
	if err != nil {
		return 0, err
	}
	if tok.Kind() != '0' {
		return 0, fmt.Errorf("strictjson: want a number, got %v", tok.Kind())
	}
	return exactFloat(tok.String(), bitSize)
}

// exactFloat parses the JSON number s as a float of bitSize bits and fails
// unless that float is exactly s (so also when s is out of range).
func exactFloat(s string, bitSize int) (float64, error) {
	x, err := strconv.ParseFloat(s, bitSize)
	if err != nil || len(s) > 1100 || strings.ContainsAny(s, "eE") && !smallExponent(s) {
		return 0, fmt.Errorf("strictjson: number %s is not exactly representable as a float%d", truncate(s, 40), bitSize)
	}
	limit := float64(maxExactInteger)
	if bitSize == 32 {
		limit = 1 << 24
	}
	if !strings.ContainsAny(s, ".eE") && math.Abs(x) < limit {
		return x, nil // an integer of fewer bits than the mantissa: exact
	}
	// The exponent is bounded, so the exact value costs little to compute.
	r, ok := new(big.Rat).SetString(s)
	if !ok || r.Cmp(new(big.Rat).SetFloat64(x)) != 0 {
		return 0, fmt.Errorf("strictjson: number %s is not exactly representable as a float%d", truncate(s, 40), bitSize)
	}
	return x, nil
}

// smallExponent reports whether the exponent of JSON number s is within
// ±1100 (past which no nonzero float64 is exact and big.Rat would work hard).
func smallExponent(s string) bool {
	e, err := strconv.Atoi(s[strings.IndexAny(s, "eE")+1:])
	return err == nil && e >= -1100 && e <= 1100
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
