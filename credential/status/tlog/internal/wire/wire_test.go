package wire

import (
	"bytes"
	"testing"
)

// FuzzReadBundle: an entry bundle parses to exactly the entries that
// re-encode to it, or is refused; never a panic, never an allocation
// sized by a claimed length.
func FuzzReadBundle(f *testing.F) {
	f.Add([]byte{0, 8, 1, 2, 3, 4, 5, 6, 7, 8}, uint8(1))
	f.Add([]byte{0, 1, 9, 0, 0}, uint8(2))
	f.Add([]byte{0xff, 0xff, 1}, uint8(1))
	f.Fuzz(func(t *testing.T, b []byte, want uint8) {
		es, err := ReadBundle(b, int(want), 16)
		if err != nil {
			return
		}
		var out []byte
		for _, e := range es {
			out = AppendBundle(out, e)
		}
		if !bytes.Equal(out, b) || len(es) != int(want) {
			t.Fatal("bundle does not round-trip")
		}
	})
}

// FuzzParseAddCheckpoint: what parses re-marshals to the input.
func FuzzParseAddCheckpoint(f *testing.F) {
	f.Add([]byte("old 0\n\nx"))
	f.Add([]byte("old 12\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\ncheckpoint\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseAddCheckpoint(b)
		if err != nil {
			return
		}
		if !bytes.Equal(r.Marshal(), b) {
			t.Fatal("request does not round-trip")
		}
	})
}
