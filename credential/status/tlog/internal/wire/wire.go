// Package wire is the tlog-witness add-checkpoint request and the
// tlog-tiles paths and entry bundles, shared by the writer, the client and
// the witness.
package wire

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"strconv"
	"strings"

	sumtlog "golang.org/x/mod/sumdb/tlog"
)

// TileHeight is the tlog-tiles tile height: 256 hashes or entries a tile.
const TileHeight = 8

// TileWidth is the number of hashes in a full tile.
const TileWidth = 1 << TileHeight

// MaxProofLines bounds the consistency proof of a request (tlog-witness).
const MaxProofLines = 63

// ErrMalformed is returned by the parsers here; callers wrap it in their
// own sentinel.
var ErrMalformed = errors.New("malformed")

// TilePath returns the tlog-tiles path of t: "tile/<L>/<N>[.p/<W>]" for a
// hash tile, "tile/entries/<N>[.p/<W>]" for an entry bundle (t.L == -1),
// N in groups of three digits with an "x" before all but the last.
func TilePath(t sumtlog.Tile) string {
	p := t.Path() // "tile/8/<L>/..." or "tile/8/data/..."
	if t.L == -1 {
		return "tile/entries/" + strings.TrimPrefix(p, "tile/8/data/")
	}
	return "tile/" + strings.TrimPrefix(p, "tile/8/")
}

// ReadBundle splits an entry bundle into exactly want entries of at most
// maxEntry bytes each: each entry is a 2-byte big-endian length and its
// bytes, and nothing may follow the last.
func ReadBundle(b []byte, want, maxEntry int) ([][]byte, error) {
	if want < 1 || want > TileWidth {
		return nil, ErrMalformed
	}
	out := make([][]byte, 0, want)
	for len(b) > 0 {
		if len(out) == want || len(b) < 2 {
			return nil, ErrMalformed
		}
		n := int(binary.BigEndian.Uint16(b))
		if n > maxEntry || len(b)-2 < n {
			return nil, ErrMalformed
		}
		out = append(out, b[2:2+n:2+n])
		b = b[2+n:]
	}
	if len(out) != want {
		return nil, ErrMalformed
	}
	return out, nil
}

// AppendBundle appends e to an entry bundle.
func AppendBundle(b, e []byte) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(len(e)))
	return append(b, e...)
}

// AddCheckpoint is a tlog-witness add-checkpoint request.
type AddCheckpoint struct {
	OldSize    int64
	Proof      [][32]byte
	Checkpoint []byte
}

// Marshal encodes r: "old <size>\n", one base64 hash a line, an empty
// line, the checkpoint note.
func (r *AddCheckpoint) Marshal() []byte {
	var b bytes.Buffer
	b.WriteString("old ")
	b.WriteString(strconv.FormatInt(r.OldSize, 10))
	b.WriteByte('\n')
	for _, h := range r.Proof {
		b.WriteString(base64.StdEncoding.EncodeToString(h[:]))
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.Write(r.Checkpoint)
	return b.Bytes()
}

// ParseAddCheckpoint parses a request strictly: "old " and a decimal
// without leading zeros, at most MaxProofLines canonical base64 hashes,
// an empty line, then the checkpoint (parsed by the caller), each line
// ending in "\n".
func ParseAddCheckpoint(b []byte) (*AddCheckpoint, error) {
	line, rest, ok := bytes.Cut(b, []byte{'\n'})
	s, ok2 := strings.CutPrefix(string(line), "old ")
	if !ok || !ok2 {
		return nil, ErrMalformed
	}
	n, err := ParseSize(s)
	if err != nil {
		return nil, err
	}
	r := &AddCheckpoint{OldSize: n}
	for {
		line, rest, ok = bytes.Cut(rest, []byte{'\n'})
		if !ok {
			return nil, ErrMalformed
		}
		if len(line) == 0 {
			break
		}
		if len(r.Proof) == MaxProofLines || len(line) != 44 {
			return nil, ErrMalformed
		}
		h, err := base64.StdEncoding.Strict().DecodeString(string(line))
		if err != nil || len(h) != 32 || base64.StdEncoding.EncodeToString(h) != string(line) {
			return nil, ErrMalformed
		}
		r.Proof = append(r.Proof, [32]byte(h))
	}
	r.Checkpoint = rest
	return r, nil
}

// ParseSize parses a tree size: a decimal without sign or leading zeros,
// at most 2^63-1.
func ParseSize(s string) (int64, error) {
	if s == "" || len(s) > 19 || (len(s) > 1 && s[0] == '0') {
		return 0, ErrMalformed
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, ErrMalformed
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, ErrMalformed
	}
	return n, nil
}

// SubtreeHash returns the RFC 6962 root of 2^k leaf hashes (a full
// bundle's 256 record hashes: the stored hash at level 8).
func SubtreeHash(hs []sumtlog.Hash) sumtlog.Hash {
	for len(hs) > 1 {
		next := make([]sumtlog.Hash, len(hs)/2)
		for i := range next {
			next[i] = sumtlog.NodeHash(hs[2*i], hs[2*i+1])
		}
		hs = next
	}
	return hs[0]
}
