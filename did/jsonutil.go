package did

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/zkcred/zkcred/did/strictjson"
)

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
	if err := strictjson.Unmarshal(b, &one); err == nil && string(b) != "null" {
		*s = stringOrSet{one}
		return nil
	}
	var many []string
	if err := strictjson.Unmarshal(b, &many); err != nil {
		return errors.New("expected a string or an array of strings")
	}
	*s = many
	return nil
}

// take decodes member name of m into v and deletes it; absent members leave
// v untouched.
func take(m map[string]json.RawMessage, name string, v any) error {
	raw, ok := m[name]
	if !ok {
		return nil
	}
	delete(m, name)
	if err := strictjson.Unmarshal(raw, v); err != nil {
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
	if err := strictjson.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	for k, v := range extra {
		if _, ok := m[k]; !ok {
			m[k] = v
		}
	}
	return json.Marshal(m)
}
