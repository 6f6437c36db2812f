package did

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// maxJSONDepth bounds the nesting of JSON accepted by this package.
const maxJSONDepth = 64

// checkJSON checks that data is exactly one JSON value, with no duplicate
// object member names (which encoding/json would silently resolve to the
// last one, a classic source of parser differentials), no nesting deeper
// than maxJSONDepth and no trailing data.
func checkJSON(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	type frame struct {
		obj  bool
		keys map[string]struct{}
		key  bool // the next token in this object is a member name
	}
	var stack []*frame
	for {
		tok, err := dec.Token()
		if err != nil {
			if err == io.EOF {
				return errors.New("unexpected end of JSON")
			}
			return err
		}
		if n := len(stack); n > 0 && stack[n-1].obj && stack[n-1].key {
			top := stack[n-1]
			if d, ok := tok.(json.Delim); ok && d == '}' {
				stack = stack[:n-1]
			} else {
				k, _ := tok.(string)
				if _, dup := top.keys[k]; dup {
					return fmt.Errorf("duplicate member %q", truncate(k, 64))
				}
				top.keys[k] = struct{}{}
				top.key = false
				continue
			}
		} else if d, ok := tok.(json.Delim); ok && (d == '{' || d == '[') {
			if len(stack) >= maxJSONDepth {
				return errors.New("JSON nested too deeply")
			}
			stack = append(stack, &frame{obj: d == '{', keys: map[string]struct{}{}, key: d == '{'})
			continue
		} else if ok && d == ']' {
			stack = stack[:len(stack)-1]
		}
		// A value is complete.
		if len(stack) == 0 {
			if _, err := dec.Token(); err != io.EOF {
				return errors.New("trailing data after JSON value")
			}
			return nil
		}
		if top := stack[len(stack)-1]; top.obj {
			top.key = true
		}
	}
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
	if err := json.Unmarshal(b, &one); err == nil {
		*s = stringOrSet{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return errors.New("expected a string or an array of strings")
	}
	*s = many
	return nil
}

// takeMembers decodes an object into a map with exact (case-sensitive)
// member names.
func takeMembers(b []byte) (map[string]json.RawMessage, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	if m == nil {
		return nil, errors.New("expected a JSON object")
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
	if err := json.Unmarshal(raw, v); err != nil {
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
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	for k, v := range extra {
		if _, ok := m[k]; !ok {
			m[k] = v
		}
	}
	return json.Marshal(m)
}
