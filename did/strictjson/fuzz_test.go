package strictjson

import (
	"encoding/json"
	"reflect"
	"runtime/metrics"
	"testing"
)

// FuzzUnmarshal checks that the decoders never panic, that what Unmarshal
// accepts UnmarshalOpen accepts with the same value, that what either
// accepts into any re-encodes (encoding/json) to a document that decodes to
// the same value, and that Members agrees with Unmarshal on objects.
func FuzzUnmarshal(f *testing.F) {
	for _, s := range []string{
		`{"issuer":"did:example:a","claims":{"district":"07","n":9007199254740991,"f":0.5}}`,
		`{"issuer":"a","\u0069ssuer":"b","Issuer":"c"}`,
		`{"claims":[9007199254740993,1e400,0.1,"\ud800"]}`,
		`[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]`,
		`{"f":1e-999999999,"f32":16777217}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		allocCeiling(t, func() {
			var v any
			if err := Unmarshal(b, &v); err == nil {
				var w any
				if err := UnmarshalOpen(b, &w); err != nil || !reflect.DeepEqual(v, w) {
					t.Fatalf("UnmarshalOpen disagrees: %v, %#v vs %#v", err, w, v)
				}
				out, err := json.Marshal(v)
				if err != nil {
					t.Fatalf("marshal %#v: %v", v, err)
				}
				var again any
				if err := Unmarshal(out, &again); err != nil || !reflect.DeepEqual(v, again) {
					t.Fatalf("re-decode of %s: %v, %#v", out, err, again)
				}
			}
			var d struct {
				F   float64 `json:"f"`
				F32 float32 `json:"f32"`
				Any any     `json:"claims"`
				S   string  `json:"issuer"`
			}
			Unmarshal(b, &d)
			UnmarshalOpen(b, &d)
			if m, err := Members(b, "issuer", "claims"); err == nil {
				var raw map[string]json.RawMessage
				if err := Unmarshal(b, &raw); err != nil || len(raw) != len(m) {
					t.Fatalf("Members accepted what Unmarshal refuses: %v", err)
				}
			}
		})
	})
}

// allocCeiling fails t when one fuzz input's call f allocates more than
// 64 MiB (runtime/metrics, delta), as did's fuzz targets do: fuzz inputs
// are far smaller, so only an amplification trips it.
func allocCeiling(t *testing.T, f func()) {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}, {Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s[:1])
	f()
	if metrics.Read(s[1:]); s[1].Value.Uint64()-s[0].Value.Uint64() > 64<<20 {
		t.Fatalf("strictjson: one input allocated %d bytes (ceiling 64 MiB)", s[1].Value.Uint64()-s[0].Value.Uint64())
	}
}
