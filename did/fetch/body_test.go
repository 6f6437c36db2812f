package fetch

import (
	"bytes"
	"errors"
	"io"
	"math"
	"strings"
	"testing"
	"testing/iotest"
)

// TestReadBody checks readBody against every way a body may relate to
// its declared length and the limit, through readers that return one
// byte at a time, data with io.EOF, and errors.
func TestReadBody(t *testing.T) {
	body := func(n int) []byte { return bytes.Repeat([]byte("0123456789abcdef"), n/16+1)[:n] }
	for _, c := range []struct {
		name          string
		n             int   // bytes the server sends
		contentLength int64 // -1: undeclared
		max           int64
		want          int // bytes read: n, or max+1 when over the limit
	}{
		{"empty, declared", 0, 0, 100, 0},
		{"empty, undeclared", 0, -1, 100, 0},
		{"declared exact", 8192, 8192, 1 << 20, 8192},
		{"declared exact at the limit", 100, 100, 100, 100},
		{"declared above presize", presizeMax*3 + 5, presizeMax*3 + 5, 1 << 20, presizeMax*3 + 5},
		{"undeclared", 5000, -1, 1 << 20, 5000},
		{"undeclared over the limit", 5000, -1, 1000, 1001},
		{"more than declared", 300, 100, 1 << 20, 300},
		{"more than declared, over the limit", 5000, 100, 1000, 1001},
		{"less than declared", 50, 100, 1 << 20, 50},
		{"no limit", 700, -1, math.MaxInt64, 700},
		{"no limit, declared", 700, 700, math.MaxInt64, 700},
	} {
		for _, rd := range []struct {
			name string
			wrap func(io.Reader) io.Reader
		}{
			{"plain", func(r io.Reader) io.Reader { return r }},
			{"one byte", iotest.OneByteReader},
			{"data with EOF", iotest.DataErrReader},
			{"half", iotest.HalfReader},
		} {
			t.Run(c.name+"/"+rd.name, func(t *testing.T) {
				in := body(c.n)
				got, err := readBody(rd.wrap(bytes.NewReader(in)), c.contentLength, c.max)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, in[:c.want]) {
					t.Fatalf("read %d bytes, want the first %d of %d", len(got), c.want, c.n)
				}
				if int64(cap(got)) > c.max+1 && c.max != math.MaxInt64 {
					t.Fatalf("buffer of %d bytes, limit %d", cap(got), c.max)
				}
				if c.contentLength >= 0 && c.n == int(c.contentLength) && cap(got) != c.n {
					t.Fatalf("a body of its declared length %d in a buffer of %d", c.n, cap(got))
				}
			})
		}
	}
}

// TestReadBodyError checks that a read error is returned, with what was
// read before it.
func TestReadBodyError(t *testing.T) {
	boom := errors.New("boom")
	for _, cl := range []int64{-1, 10, 20} {
		got, err := readBody(io.MultiReader(strings.NewReader("0123456789"), iotest.ErrReader(boom)), cl, 100)
		if !errors.Is(err, boom) || string(got) != "0123456789" {
			t.Fatalf("declared %d: got %q, %v", cl, got, err)
		}
	}
}

// TestReadBodyPresize checks that a declared length does not allocate
// more than presizeMax before its bytes arrive: a server that declares
// the limit and sends a few bytes costs a small buffer.
func TestReadBodyPresize(t *testing.T) {
	got, err := readBody(strings.NewReader("short"), 1<<30, 1<<30)
	if err != nil || string(got) != "short" {
		t.Fatalf("got %q, %v", got, err)
	}
	if cap(got) > presizeMax {
		t.Fatalf("a buffer of %d bytes for 5 bytes read", cap(got))
	}
}

// TestReadBodyAllocs checks that a tile-sized body of declared length is
// read in one allocation of its size (plus the end-of-body probe), where
// io.ReadAll allocated about twice the body.
func TestReadBodyAllocs(t *testing.T) {
	in := bytes.Repeat([]byte{7}, 8192)
	r := bytes.NewReader(in)
	allocs := testing.AllocsPerRun(100, func() {
		r.Reset(in)
		if b, err := readBody(r, int64(len(in)), 1<<20); err != nil || len(b) != len(in) {
			t.Fatal(len(b), err)
		}
	})
	if allocs > 2 {
		t.Fatalf("%v allocations per 8 KiB body, want at most 2", allocs)
	}
}
