package credential

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// Every JSON document this package reads is decoded by [unmarshal], with
// json v2 semantics (github.com/go-json-experiment/json, the prototype of
// encoding/json/v2): duplicate member names are refused, also when they
// differ only by escaping ("a" and "\u0061"); member names match struct
// fields case-sensitively ("Issuer" is not "issuer"); invalid UTF-8, lone
// surrogate escapes ("\ud800") and trailing data are refused. Unlike
// encoding/json, one document has one reading. Encoding still uses
// encoding/json (sorted map keys, json.Number written as a number).

// maxJSONDepth bounds the nesting of values decoded into Go interfaces
// (claims, @context and object properties).
const maxJSONDepth = 32

// maxExactInteger is 2^53: every integer below it in magnitude is exactly a
// float64 (a JavaScript "safe integer"), so all readers agree on its value.
const maxExactInteger = 1 << 53

// strictOptions refuses unknown struct members; decoding into a struct
// without it leaves unknown members out (only where the format allows them).
var strictOptions = jsonv2.RejectUnknownMembers(true)

// exactNumbers decodes a number inside an interface value (any) as a
// json.Number, keeping its text, and refuses a number of magnitude 2^53 or
// more (9007199254740993 would become 2^53 in a float64, so two signed
// values would read the same) or out of float64 range, and nesting deeper
// than maxJSONDepth.
var exactNumbers = jsonv2.WithUnmarshalers(jsonv2.UnmarshalFromFunc(func(dec *jsontext.Decoder, v *any) error {
	if dec.StackDepth() >= maxJSONDepth {
		return fmt.Errorf("nesting deeper than %d", maxJSONDepth)
	}
	if dec.PeekKind() != '0' {
		return errors.ErrUnsupported // the default: objects, arrays, strings, ...
	}
	tok, err := dec.ReadToken()
	if err != nil {
		return err
	}
	if f, err := strconv.ParseFloat(tok.String(), 64); err != nil || math.Abs(f) >= maxExactInteger {
		return fmt.Errorf("number %s is not exactly representable (magnitude 2^53 or more)", truncate(tok.String(), 32))
	}
	*v = json.Number(tok.String())
	return nil
}))

// unmarshal decodes b into v with json v2 semantics (see above), numbers in
// interface values as exact json.Number; pass strictOptions to refuse
// unknown members.
func unmarshal(b []byte, v any, opts ...jsonv2.Options) error {
	return jsonv2.Unmarshal(b, v, append(opts, exactNumbers)...)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
