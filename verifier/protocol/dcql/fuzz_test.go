package dcql

import (
	"errors"
	"os"
	"path/filepath"
	"runtime/metrics"
	"testing"
)

// maxFuzzAlloc is the heap one input may allocate. A query at MaxQuerySize
// decodes and compiles in well under it.
const maxFuzzAlloc = 16 << 20

// allocCeiling fails t if f allocates more than max heap bytes (fuzz with -parallel 1).
func allocCeiling(t *testing.T, max uint64, f func()) {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}, {Name: "/gc/heap/allocs:bytes"}}
	if metrics.Read(s[:1]); func() bool { f(); metrics.Read(s[1:]); return s[1].Value.Uint64()-s[0].Value.Uint64() > max }() {
		t.Fatalf("one input allocated over %d heap bytes", max)
	}
}

// FuzzParse checks that Parse never panics, stays within maxFuzzAlloc,
// wraps ErrInvalidQuery in every error, and that an accepted query
// re-encodes to a query that parses to the same encoding and compiles (or
// fails to compile) the same way. Seeds: the vectors and the invalid tables.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/queries/*.json")
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, tc := range invalidQueries {
		if len(tc.q) < 4096 {
			f.Add([]byte(tc.q))
		}
	}
	for _, tc := range invalidPolicies {
		f.Add([]byte(tc.q))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		allocCeiling(t, maxFuzzAlloc, func() {
			q, err := Parse(b)
			if err != nil {
				if q != nil || !errors.Is(err, ErrInvalidQuery) {
					t.Fatalf("Parse = %v, %v", q, err)
				}
				return
			}
			j, err := q.JSON()
			if err != nil {
				t.Fatalf("JSON of an accepted query: %v", err)
			}
			q2, err := Parse(j)
			if err != nil {
				t.Fatalf("re-encoded query refused: %v\n%s", err, j)
			}
			if j2, _ := q2.JSON(); string(j2) != string(j) {
				t.Fatalf("encoding not stable:\n%s\n%s", j, j2)
			}
			_, err1 := q.Compile(testNonce)
			_, err2 := q2.Compile(testNonce)
			if (err1 == nil) != (err2 == nil) {
				t.Fatalf("compile differs after re-encoding: %v / %v", err1, err2)
			}
			if err1 != nil && !errors.Is(err1, ErrInvalidQuery) && !errors.Is(err1, ErrUnsupportedFormat) {
				t.Fatalf("Compile error wraps no sentinel: %v", err1)
			}
		})
	})
}
