package credential

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

// maxJSONDepth bounds the nesting of every JSON document this package parses.
const maxJSONDepth = 32

// checkJSON verifies that b is exactly one JSON value in valid UTF-8, with
// no duplicate member names in any object (encoding/json would silently keep
// the last one, a classic parser differential), nesting at most maxDepth, and
// nothing but white space after it. The caller wraps the returned error.
func checkJSON(b []byte, maxDepth int) error {
	if !utf8.Valid(b) {
		return errors.New("invalid UTF-8")
	}
	type frame struct {
		obj       bool
		expectKey bool
		keys      map[string]struct{}
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var stack []*frame
	started := false
	for {
		if started && len(stack) == 0 {
			break
		}
		tok, err := dec.Token()
		if err != nil {
			if err == io.EOF {
				return errors.New("unexpected end of JSON")
			}
			return err
		}
		started = true
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if d, ok := tok.(json.Delim); ok {
			switch d {
			case '{', '[':
				if top != nil && top.obj {
					top.expectKey = true
				}
				if len(stack) >= maxDepth {
					return fmt.Errorf("nesting deeper than %d", maxDepth)
				}
				f := &frame{obj: d == '{', expectKey: d == '{'}
				if f.obj {
					f.keys = map[string]struct{}{}
				}
				stack = append(stack, f)
			default:
				stack = stack[:len(stack)-1]
			}
			continue
		}
		if top != nil && top.obj {
			if top.expectKey {
				k, _ := tok.(string)
				if _, dup := top.keys[k]; dup {
					return fmt.Errorf("duplicate member %q", truncate(k, 64))
				}
				top.keys[k] = struct{}{}
				top.expectKey = false
			} else {
				top.expectKey = true
			}
		}
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("trailing data after JSON value")
	}
	return nil
}

// decodeStrict checks b with [checkJSON] and decodes it into v, refusing
// unknown fields when v is a struct.
func decodeStrict(b []byte, v any) error {
	if err := checkJSON(b, maxJSONDepth); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	return dec.Decode(v)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
