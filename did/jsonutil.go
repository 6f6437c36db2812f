package did

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// unmarshal is how this package reads JSON: json v2 semantics
// (github.com/go-json-experiment/json, the prototype of encoding/json/v2),
// which refuse duplicate member names also after unescaping ("a" and
// "\u0061"), match names case-sensitively, and refuse invalid UTF-8, lone
// surrogate escapes and trailing data, so that a document has one reading.
// A number inside an interface value (@context) is kept as json.Number and
// refused at magnitude 2^53 or more, where float64 readers disagree.
func unmarshal(b []byte, v any) error {
	return jsonv2.Unmarshal(b, v, jsonv2.WithUnmarshalers(jsonv2.UnmarshalFromFunc(exactNumber)))
}

func exactNumber(dec *jsontext.Decoder, v *any) error {
	if dec.PeekKind() != '0' {
		return errors.ErrUnsupported // default decoding
	}
	tok, err := dec.ReadToken()
	if f, ferr := strconv.ParseFloat(tok.String(), 64); err == nil && (ferr != nil || math.Abs(f) >= 1<<53) {
		err = fmt.Errorf("number %s is not exact in float64", truncate(tok.String(), 32))
	} else if err == nil {
		*v = json.Number(tok.String())
	}
	return err
}

// stringOrSet is a JSON value that is either a string or an array of
// strings; it marshals a single element back as a string.
type stringOrSet []string

func (s stringOrSet) MarshalJSON() ([]byte, error) {
	if len(s) == 1 {
		return json.Marshal(s[0])
	}
	return json.Marshal([]string(s))
}

func (s *stringOrSet) UnmarshalJSON(b []byte) error {
	var one string
	if err := unmarshal(b, &one); err == nil && string(b) != "null" {
		*s = stringOrSet{one}
		return nil
	}
	var many []string
	if err := unmarshal(b, &many); err != nil {
		return errors.New("expected a string or an array of strings")
	}
	*s = many
	return nil
}

// takeMembers decodes an object into a map with exact (case-sensitive)
// member names, refusing a name that differs only in case from one of
// known ("ID" next to, or instead of, "id"): a case-insensitive reader
// would take it for the known member.
func takeMembers(b []byte, known ...string) (map[string]json.RawMessage, error) {
	var m map[string]json.RawMessage
	if err := unmarshal(b, &m); err != nil {
		return nil, err
	}
	if m == nil {
		return nil, errors.New("expected a JSON object")
	}
	for k := range m {
		for _, name := range known {
			if k != name && strings.EqualFold(k, name) {
				return nil, fmt.Errorf("member %q is a case variant of %q", truncate(k, 64), name)
			}
		}
	}
	return m, nil
}

// take decodes member name of m into v and deletes it; absent members leave
// v untouched.
func take(m map[string]json.RawMessage, name string, v any) error {
	raw, ok := m[name]
	if !ok {
		return nil
	}
	delete(m, name)
	if err := unmarshal(raw, v); err != nil {
		return fmt.Errorf("member %q: %v", name, err)
	}
	return nil
}

// putMembers merges known members (a struct marshalled to an object) with
// extra members and returns the object, extra members never overriding
// known ones.
func putMembers(known any, extra map[string]json.RawMessage) ([]byte, error) {
	b, err := json.Marshal(known)
	if err != nil || len(extra) == 0 {
		return b, err
	}
	var m map[string]json.RawMessage
	if err := unmarshal(b, &m); err != nil {
		return nil, err
	}
	for k, v := range extra {
		if _, ok := m[k]; !ok {
			m[k] = v
		}
	}
	return json.Marshal(m)
}
